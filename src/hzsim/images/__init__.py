"""The instant-clone image lifecycle: push image, its tasks, apply and promote (docs/push-image.md)."""

from hzsim.images import push, rollout, tasks  # noqa: F401
