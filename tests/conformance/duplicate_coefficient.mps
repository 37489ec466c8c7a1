NAME          DUPLICATE_COEFFICIENT
ROWS
 N  obj
 E  c
COLUMNS
    x         obj       1
    x         c         1
    x         c         1
RHS
    rhs       c        1
BOUNDS
 FR bounds    x
ENDATA
