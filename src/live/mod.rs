//! The live engine: one owner task per running contest, reached through a cloneable handle.
