// The continuous-batching scheduler lands with the serving issue.
