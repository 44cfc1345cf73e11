"""One lock for the heavy imports: torch, transformers and spaCy load on one thread at a time.

Importing torch and transformers from two threads at once fails half-way ("NameError:
name 'nn' is not defined" inside transformers), and spaCy is imported with torch held
off (`index.nlp`), which another thread's `import torch` must not meet. A server's
first requests arrive together, so whatever loads a model takes this lock first.
"""

from __future__ import annotations

import threading

HEAVY_IMPORTS = threading.RLock()
