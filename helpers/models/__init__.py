"""What the chapters write out and check against torch.nn: the tanh RNN, the LSTM and GRU, the
BiRNN, attention scores, the encoder-decoder, BPTT by hand. Imports only helpers.core."""
