"""Example user cells that Keras does not have; plug in with model=indrnn (or any
cell class via model.cell=custom model.custom_cell._target_=your.module.YourCell)."""
