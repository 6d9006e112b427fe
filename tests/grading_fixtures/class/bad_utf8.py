import numpy
# café ÿþ
x = 'Ã('
