NAME          qjh_quadobj
ROWS
 N  obj
 L  c1
COLUMNS
    x1        obj        0.0
    x1        c1        1.0
    x2        obj       -1.0
    x3        obj       -3.0
    x3        c1        1.0
RHS
    rhs       c1        2.0
QUADOBJ
    x1        x1        2.0
    x1        x3        -1.0
    x2        x2        0.2
    x3        x3        2.0
ENDATA
