"""Deserialized workflows this process saved, by (instance id, revision): the next change of the same
instance in this process takes its workflow from here instead of loading it again.

A workflow here belongs to nobody: it was put in once its save committed (the saver hands it over and uses
it no more), and whoever takes it takes it out, so no two requests ever hold the same workflow object
(SpiffWorkflow has no locks). It is found only under the revision it was saved with: a change saved anywhere
else (another process, another request) has a newer revision, and the stored state is loaded instead. At
most ``size`` workflows are kept, the least recently put ones dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

DEFAULT_SIZE = 64


class WorkflowCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._workflows: OrderedDict[str, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, instance_id: str, revision: int) -> BpmnWorkflow | None:
        """The instance's workflow as saved at ``revision`` (and no longer here), or None."""
        with self._lock:
            found = self._workflows.pop(instance_id, None)
            if found is None or found[0] != revision:
                self.misses += 1
                return None
            self.hits += 1
            return found[1]

    def put(self, instance_id: str, revision: int, workflow: BpmnWorkflow) -> None:
        """Keep ``workflow``, saved at ``revision`` (its caller hands it over), instead of any earlier one."""
        if self.size <= 0:
            return
        with self._lock:
            self._workflows.pop(instance_id, None)
            self._workflows[instance_id] = (revision, workflow)
            while len(self._workflows) > self.size:
                self._workflows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._workflows)
