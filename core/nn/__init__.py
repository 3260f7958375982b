"""Small fully connected networks for the playground, with two engines that train the same
network the same way: ``numpy_engine`` (forward and backward written out) and ``tf_engine``
(TensorFlow autodiff in one XLA-compiled loop). Both follow Keras' conventions (Glorot-uniform
init, optimizer update rules, L1/L2 penalties) so that the exported Keras code reproduces a run."""
