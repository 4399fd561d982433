"""The pod network: address management, the topology graph and the data path."""
