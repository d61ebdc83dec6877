import PulseVector
print("pulse-vector")
