"""nbval runs the chapters on one torch thread, as their checked outputs were stored (see
helpers.start_notebook); a reader's own kernel keeps all its cores. The kernels inherit this."""
import os

os.environ.setdefault("TORCH_NUM_THREADS", "1")
