import PulseEmbeddings
print("pulse-embed")
