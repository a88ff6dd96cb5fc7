"""`tf.client`-side tools: step traces of a run and their Chrome-trace timeline."""
