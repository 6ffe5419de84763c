//go:build amd64 && !purego

#include "textflag.h"

// func expAVX4(x *float64, n int, consts *float64, table *float64, ints *int64)
//
// Exp (exp.go) on n groups of 4 float64 at x, in place, with the same operations in the same order
// (no fused multiply-adds). consts and ints: see expConsts and expInts in exp_amd64.go.
TEXT ·expAVX4(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ consts+16(FP), R8
	MOVQ table+24(FP), DX
	MOVQ ints+32(FP), R9
	VBROADCASTSD 0(R8), Y15  // 64/ln2
	VBROADCASTSD 8(R8), Y14  // 0.5
	VBROADCASTSD 16(R8), Y13 // ln2hi/64
	VBROADCASTSD 24(R8), Y12 // ln2lo/64
	VBROADCASTSD 32(R8), Y11 // 1.5·2^52
	VBROADCASTSD 40(R8), Y10 // 1
	VBROADCASTSD 48(R8), Y9  // 1/6
	VBROADCASTSD 56(R8), Y8  // 1/24
	VBROADCASTSD 64(R8), Y7  // 1/120
	TESTQ CX, CX
	JEQ   done

loop:
	VMOVUPD (SI), Y0          // x
	VMULPD  Y15, Y0, Y1       // x·inv
	VADDPD  Y14, Y1, Y1       // + 0.5
	VROUNDPD $9, Y1, Y1       // k = floor(·)
	VMULPD  Y13, Y1, Y2
	VSUBPD  Y2, Y0, Y2        // x − k·hi
	VMULPD  Y12, Y1, Y3
	VSUBPD  Y3, Y2, Y2        // r = x − k·hi − k·lo
	VADDPD  Y11, Y1, Y4
	VPSUBQ  Y11, Y4, Y4       // ki = int64(k)
	VPBROADCASTQ 0(R9), Y1
	VPAND   Y1, Y4, Y1        // j = ki & 63
	VPBROADCASTQ 8(R9), Y5
	VPADDQ  Y5, Y4, Y5
	VPSRLQ  $6, Y5, Y5
	VPSLLQ  $52, Y5, Y5       // 2^(ki >> 6)
	VPCMPEQQ Y4, Y4, Y4       // gather mask: all lanes
	VGATHERQPD Y4, (DX)(Y1*8), Y6 // table[j]
	VMULPD  Y2, Y2, Y3        // r2
	VMULPD  Y9, Y2, Y1
	VADDPD  Y14, Y1, Y1
	VMULPD  Y1, Y3, Y1        // r2·(0.5 + r/6)
	VADDPD  Y10, Y2, Y4       // 1 + r
	VADDPD  Y1, Y4, Y4
	VMULPD  Y7, Y2, Y1
	VADDPD  Y8, Y1, Y1        // 1/24 + r/120
	VMULPD  Y3, Y3, Y3        // r2·r2
	VMULPD  Y1, Y3, Y1
	VADDPD  Y1, Y4, Y4        // p
	VMULPD  Y6, Y4, Y4        // p·table[j]
	VMULPD  Y5, Y4, Y4        // ·2^m
	VBROADCASTSD 72(R8), Y1
	VCMPPD  $2, Y1, Y0, Y1    // x ≤ −708
	VXORPD  Y3, Y3, Y3
	VBLENDVPD Y1, Y3, Y4, Y4  // → 0
	VBROADCASTSD 80(R8), Y1
	VCMPPD  $0x0D, Y1, Y0, Y1 // x ≥ 709
	VBROADCASTSD 88(R8), Y3
	VBLENDVPD Y1, Y3, Y4, Y4  // → +Inf
	VCMPPD  $3, Y0, Y0, Y1    // NaN
	VBLENDVPD Y1, Y0, Y4, Y4  // → x
	VMOVUPD Y4, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNE     loop

done:
	VZEROUPPER
	RET
