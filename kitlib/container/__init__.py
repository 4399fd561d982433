"""What runs inside a container: the apps its image serves and the commands ``kubectl exec`` runs.

* :mod:`~kitlib.container.handlers`: what an app server receives (:class:`HttpRequest`) and answers
  (:class:`AppReply`), and the per-cluster table of images with their own handler (:class:`ContainerApps`);
* :mod:`~kitlib.container.listeners`: what listens in a container, by image and command (not ``containerPort``);
* :mod:`~kitlib.container.images`: which image answers what (nginx, http-echo, agnhost netexec);
* :mod:`~kitlib.container.imagelogs`: what each image prints (start-up lines, access-log lines);
* :mod:`~kitlib.container.logs`: each container's output per run, what ``kubectl logs`` reads;
* :mod:`~kitlib.container.behaviour`: warm-up, fault switches and probes: the app as the kubelet sees it;
* :mod:`~kitlib.container.shell`: the tools an image ships (sh, cat, nslookup, curl, wget ...) and the
  small shell model scripts run in;
* :mod:`~kitlib.container.process`: the main process (command and args over the image's
  ENTRYPOINT/CMD), its files, and how it takes SIGTERM.
"""
