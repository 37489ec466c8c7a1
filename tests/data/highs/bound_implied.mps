NAME          reduced
ROWS
 N  obj1    
 E  c10     
 E  c26     
 E  c27     
 E  c28     
 E  c42     
 E  c55     
 E  c109    
 E  c120    
 E  c161    
 E  c166    
 E  c203    
 E  c208    
 E  c226    
 E  c231    
 E  c239    
 E  c253    
 E  c256    
 E  c258    
 E  c274    
 E  c293    
 E  c305    
 E  c307    
 E  c309    
 E  c323    
 E  c330    
 E  c334    
 E  c345    
 E  c355    
 E  c356    
 E  c364    
 E  c373    
 E  c380    
 E  c412    
 E  c413    
 E  c417    
 E  c427    
 E  c428    
 E  c445    
 E  c455    
 E  c456    
 E  c469    
 E  c484    
 E  c487    
 E  c488    
 E  c501    
 E  c502    
 E  c507    
 E  c509    
 E  c510    
 E  c533    
 E  c536    
 E  c537    
 E  c538    
 E  c558    
 E  c563    
 E  c576    
 E  c578    
 E  c589    
 E  c591    
 E  c592    
 E  c593    
 E  c596    
 E  c598    
 E  c599    
 E  c611    
 E  c615    
 E  c635    
 E  c647    
 E  c651    
 E  c673    
 E  c836    
 E  c837    
 L  c960    
COLUMNS
    x14       c10                    1
    x16       c10                   -1
    x16       c596                   1
    x17       c10                   -1
    x17       c960                 100
    x40       c26                    1
    x41       c26                   -1
    x43       c26                   -1
    x43       c960                 100
    x44       c27                   -1
    x44       c28                    1
    x46       c28                   -1
    x46       c578                   1
    x173      c109                  -1
    x189      c120                   1
    x191      c120                  -1
    x191      c651                   1
    x192      c120                  -1
    x192      c960                 100
    x260      c161                  -1
    x260      c960                  25
    x267      c166                   1
    x269      c166                  -1
    x269      c538                   1
    x270      c166                  -1
    x270      c960                  25
    x325      c203                  -1
    x331      c208                   1
    x333      c208                  -1
    x333      c558                   1
    x334      c208                  -1
    x334      c960                 100
    x358      c537                   1
    x365      c226                   1
    x368      c226                  -1
    x368      c960                  25
    x369      c226                  -1
    x369      c960                 100
    x383      c611                   1
    x390      c239                  -1
    x390      c836                   1
    x414      c256                   1
    x417      c256                  -1
    x417      c589                   1
    x417      c960                 100
    x418      c258                   1
    x420      c258                  -1
    x420      c589                   1
    x421      c258                  -1
    x421      c591                   1
    x421      c960                  25
    x441      c536                   1
    x441      c960                  25
    x446      c274                   1
    x448      c274                  -1
    x448      c673                   1
    x449      c274                  -1
    x449      c563                   1
    x449      c960                 100
    x522      c323                  -1
    x522      c837                   1
    x530      c330                   1
    x531      c330                  -1
    x532      c330                  -1
    x536      c334                   1
    x538      c334                  -1
    x538      c591                   1
    x539      c334                  -1
    x539      c960                 100
    x572      c355                  -1
    x572      c356                   1
    x573      c356                  -1
    x575      c356                  -1
    x575      c960                 100
    x584      c364                   1
    x586      c364                  -1
    x586      c538                   1
    x587      c364                  -1
    x587      c960                  25
    x609      c380                   1
    x610      c380                  -1
    x611      c380                  -1
    x685      c427                  -1
    x685      c428                   1
    x686      c428                  -1
    x687      c428                  -1
    x687      c576                   1
    x728      c647                   1
    x728      c960                  25
    x732      c455                  -1
    x732      c456                   1
    x733      c456                  -1
    x734      c456                  -1
    x734      c599                   1
    x774      c484                   1
    x777      c484                  -1
    x777      c960                  25
    x778      c484                  -1
    x778      c960                 100
    x782      c487                  -1
    x782      c488                   1
    x783      c488                  -1
    x785      c488                  -1
    x785      c960                 100
    x804      c501                  -1
    x804      c502                   1
    x805      c502                  -1
    x806      c502                  -1
    x806      c598                   1
    x813      c507                  -1
    x817      c509                  -1
    x817      c510                   1
    x819      c510                  -1
    x819      c576                   1
    x909      c109                   1
    x909      c533                  -1
    x956      c203                   1
    x956      c533                  -1
    x1068     c427                   1
    x1068     c533                  -1
    x1082     c455                   1
    x1082     c533                  -1
    x1108     c507                   1
    x1108     c533                  -1
    x1109     c509                   1
    x1109     c533                  -1
    x1121     c533                   1
    x1123     c598                   1
    x1127     c536                  -1
    x1128     c536                   1
    x1128     c537                  -1
    x1129     c203                   1
    x1129     c537                  -1
    x1132     c538                  -1
    x1174     c558                  -1
    x1174     c611                   1
    x1175     c239                   1
    x1175     c558                  -1
    x1176     c558                   1
    x1184     c563                  -1
    x1184     c673                   1
    x1188     c596                   1
    x1217     c161                   1
    x1217     c576                  -1
    x1219     c109                   1
    x1219     c576                  -1
    x1234     c578                  -1
    x1262     c589                  -1
    x1266     c591                  -1
    x1269     c593                  -1
    x1270     c323                   1
    x1270     c593                  -1
    x1275     c596                  -1
    x1276     c596                  -1
    x1279     c598                  -1
    x1280     c598                  -1
    x1281     c599                  -1
    x1282     c355                   1
    x1282     c599                  -1
    x1283     c599                  -1
    x1309     c611                  -1
    x1309     c647                   1
    x1310     c27                    1
    x1310     c611                  -1
    x1362     c599                   1
    x1362     c635                  -1
    x1363     c487                   1
    x1363     c635                  -1
    x1364     c635                   1
    x1389     c647                  -1
    x1396     c563                   1
    x1396     c651                  -1
    x1440     c455                   1
    x1458     c501                   1
    x1473     c593                   1
    x1473     c673                  -1
    x1506     c507                   1
RHS
    rhs       c836                   1
    rhs       c837                   1
    rhs       c960                 650
BOUNDS
 BV bnd       x14     
 BV bnd       x16     
 BV bnd       x17     
 BV bnd       x40     
 BV bnd       x41     
 BV bnd       x43     
 BV bnd       x44     
 BV bnd       x46     
 BV bnd       x173    
 BV bnd       x189    
 BV bnd       x191    
 BV bnd       x192    
 BV bnd       x260    
 BV bnd       x267    
 BV bnd       x269    
 BV bnd       x270    
 BV bnd       x325    
 BV bnd       x331    
 BV bnd       x333    
 BV bnd       x334    
 BV bnd       x358    
 BV bnd       x365    
 BV bnd       x368    
 BV bnd       x369    
 BV bnd       x383    
 BV bnd       x390    
 BV bnd       x414    
 BV bnd       x417    
 BV bnd       x418    
 BV bnd       x420    
 BV bnd       x421    
 BV bnd       x441    
 BV bnd       x446    
 BV bnd       x448    
 BV bnd       x449    
 BV bnd       x522    
 BV bnd       x530    
 BV bnd       x531    
 BV bnd       x532    
 BV bnd       x536    
 BV bnd       x538    
 BV bnd       x539    
 BV bnd       x572    
 BV bnd       x573    
 BV bnd       x575    
 BV bnd       x584    
 BV bnd       x586    
 BV bnd       x587    
 BV bnd       x609    
 BV bnd       x610    
 BV bnd       x611    
 BV bnd       x685    
 BV bnd       x686    
 BV bnd       x687    
 BV bnd       x728    
 BV bnd       x732    
 BV bnd       x733    
 BV bnd       x734    
 BV bnd       x774    
 BV bnd       x777    
 BV bnd       x778    
 BV bnd       x782    
 BV bnd       x783    
 BV bnd       x785    
 BV bnd       x804    
 BV bnd       x805    
 BV bnd       x806    
 BV bnd       x813    
 BV bnd       x817    
 BV bnd       x819    
 BV bnd       x909    
 BV bnd       x956    
 BV bnd       x1068   
 BV bnd       x1082   
 BV bnd       x1108   
 BV bnd       x1109   
 UP bnd       x1121                          16
 UP bnd       x1123                          16
 BV bnd       x1127   
 UP bnd       x1128                          16
 BV bnd       x1129   
 BV bnd       x1132   
 UP bnd       x1174                          16
 BV bnd       x1175   
 UP bnd       x1176                          16
 UP bnd       x1184                          16
 UP bnd       x1188                          16
 BV bnd       x1217   
 BV bnd       x1219   
 BV bnd       x1234   
 BV bnd       x1262   
 BV bnd       x1266   
 UP bnd       x1269                          16
 BV bnd       x1270   
 UP bnd       x1275                          16
 BV bnd       x1276   
 UP bnd       x1279                          16
 BV bnd       x1280   
 UP bnd       x1281                          16
 BV bnd       x1282   
 BV bnd       x1283   
 UP bnd       x1309                          16
 BV bnd       x1310   
 UP bnd       x1362                          16
 BV bnd       x1363   
 UP bnd       x1364                          16
 BV bnd       x1389   
 UP bnd       x1396                          16
 BV bnd       x1440   
 BV bnd       x1458   
 UP bnd       x1473                          16
 BV bnd       x1506   
ENDATA
