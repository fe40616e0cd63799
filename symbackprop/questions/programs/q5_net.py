import random, numpy, math
lr = 1 #learning rate
dt = '1' #data type
epochs = 100000
tda = 50 #training data amount
def step(x): #step function
    if x > 0:
        x = 1
    else:
        x = 0
    return x
def error(truth, output):
    return 0.5 * (truth - output)**2
def sig(x): #sigmoid activation
    return 1/(1+numpy.exp(-x))
#weights
w = [random.random(),random.random(),random.random(),random.random(),random.random(),random.random()]
#biases
b = [random.random(),random.random(),random.random()]
def Net(x, y, t) : # t is truth (or target)
    h1 = x*w[0]+y*w[1]+b[0] #summation in h1, first neuron in hidden layer
    h1out = sig(h1) #sigmoid activation
    h2 = x*w[2]+y*w[3]+b[1]
    h2out = sig(h2)
    z = h1out*w[4]+h2out*w[5]+b[2] #z is output neuron
    zout = sig(z)
    e = error(t, zout) # e is error
    #backpropagation, partial differentiations to find error at each weight and bias
    e5 = (zout-t) * (zout * (1 - zout)) * h1out #e5 is error at 5th weight etc
    e6 = (zout-t) * (zout * (1 - zout)) * h2out
    e1 = (zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out)) * x
    e2 = (zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out)) * y
    e3 = (zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out)) * x
    e4 = (zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out)) * y
    be3 = (zout-t) * (zout * (1 - zout)) #error at 3rd bias etc
    be1 = (zout-t) * (zout * (1 - zout)) * w[4] * (h1out * (1 - h1out))
    be2 = (zout-t) * (zout * (1 - zout)) * w[5] * (h2out * (1 - h2out))
    #print (e1, e2, e3, e4, e5, e6, be1, be2, be3)
    #updating weights and biases
    w[0] = w[0] - (e1 * lr)
    w[1] = w[1] - (e2 * lr)
    w[2] = w[2] - (e3 * lr)
    w[3] = w[3] - (e4 * lr)
    w[4] = w[4] - (e5 * lr)
    w[5] = w[5] - (e6 * lr)
    b[2] = b[2] - (be3 * lr)
    b[0] = b[0] - (be1 * lr)
    b[1] = b[1] - (be2 * lr)
