// Package dotgrad provides a correct and efficient reverse-mode gradient (VJP) for GoMLX's
// DotGeneral, and installs it in GoMLX's process-wide gradient registry.
//
// # Why it exists
//
// GoMLX v0.27.2 computes the gradient of DotGeneral(lhs, rhs) by broadcasting the incoming
// gradient against the other operand into a tensor shaped
// [batch..., lhsCross..., rhsCross..., contracting...] and then reducing it (Mul + ReduceSum).
// For a matrix product [M, K]×[K, N] that is an M×N×K tensor per operand: for an NT-Xent loss on
// 1024 embeddings of dimension 128 it is 512 MiB per operand, and the step is about ten times
// slower than it needs to be. A Dense-layer training step suffers the same way.
//
// The rule in this package computes each operand's gradient with a single DotGeneral of the
// incoming gradient and the other operand, followed, when needed, by one transpose into the
// operand's axis order. It never materializes anything larger than the operands and the output.
// For DotGeneral(lhs, rhs) with output [batch..., lhsCross..., rhsCross...] and incoming gradient v:
//
//	grad_lhs = DotGeneral(v, contract v's rhsCross positions, batch v's batch positions;
//	                      rhs, contract rhsCrossAxes, batch rhsBatchAxes)   -> transpose to lhs's axes
//	grad_rhs = DotGeneral(v, contract v's lhsCross positions, batch v's batch positions;
//	                      lhs, contract lhsCrossAxes, batch lhsBatchAxes)   -> transpose to rhs's axes
//
// (or the same products with the operands swapped, whichever needs no transpose). Each product is
// built in matmul order ([batch, M, K] × [batch, K, N], gometric's internal/dotorder), transposing an
// operand first when needed, so that the pure-Go backend runs it with its fast GEMM kernels. Data types are
// handled as in GoMLX's rule: the computation is done in the node's AccumulatorDType, else its
// OutputDType, else the incoming gradient's dtype, and the result is converted back to the
// operand's dtype.
//
// # Installing
//
// The rule is not installed by importing this package: call [Install] once, at program start,
// before building any graph whose gradient you take. gometric's training code and its command
// call Install themselves; library users who compute gradients with GoMLX directly should call
// it once at start.
//
// Install changes a process-wide registry: it replaces graph.VJPRegistration[graph.NodeTypeDotGeneral],
// so it affects every gradient of every DotGeneral built afterwards in the process, including
// those built by other packages. It is idempotent and safe to call from several goroutines, but
// the registry itself is a plain map that GoMLX reads without a lock while it builds gradients,
// so do not call Install or [Uninstall] while another goroutine is building a gradient graph.
// [Uninstall] restores GoMLX's original rule (for benchmarks and tests) and [Installed] reports
// the current state.
//
// GoMLX keeps a DotGeneral node's axes in unexported fields; this package reads them with
// reflect (read only). The layout it expects is that of GoMLX v0.27.2, the version gometric's
// go.mod pins: Install verifies it once on a small probe graph and panics with a clear message
// if it changed, and the rule re-checks every node it differentiates against the node's shapes.
package dotgrad
