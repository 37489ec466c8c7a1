* A model with blank lines and comments
NAME

OBJSENSE MIN

ROWS
 N  obj
 G  con1

COLUMNS
    MARKER    'MARKER'                 'INTORG'
    x         obj       1              con1      1
    MARKER    'MARKER'                 'INTEND'
RHS
    rhs       con1      1
BOUNDS
 FR bounds    x
ENDATA
