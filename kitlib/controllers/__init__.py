"""Controllers: the control loops of kube-controller-manager, kube-scheduler and the kubelet.

Each ``sync`` reads the desired state from the store and moves the actual state towards it.
"""
