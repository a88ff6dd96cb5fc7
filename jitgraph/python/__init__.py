"""TF's internal `tensorflow.python` paths that TF 1.x programs import from directly
(`from tensorflow.python.client import timeline`), for programs that swap `tensorflow`
for `jitgraph` in their imports."""
