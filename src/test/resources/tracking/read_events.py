"""Prints the scalars and images of a TensorBoard log folder as JSON, read by TensorBoard's own
event reader (EventAccumulator, which checks each record's CRC). Used by the tracking tests:
    python read_events.py DIR
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
acc.Reload()
tags = acc.Tags()
print(json.dumps({
    "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
    "images": {
        t: [[e.step, e.width, e.height, len(e.encoded_image_string)] for e in acc.Images(t)]
        for t in tags["images"]
    },
}))
