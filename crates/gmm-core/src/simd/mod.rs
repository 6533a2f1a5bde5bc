//! The floor of the vectorised loops: groups of [`LANES`] points, fused multiply-adds, the
//! horizontal sum, the vectorised `exp`, run-time detection of AVX2 + FMA and
//! [`avx2_fma_dispatch!`], the one place where the copy compiled for AVX2 + FMA is chosen.
//!
//! The `f64` registers' arithmetic beyond the fused multiply-add is in [`f64_register`], the
//! vectorised `exp` on it in [`exp`].
//!
//! This module imports nothing else of the crate: the statistics and the kernel both stand
//! on it (the model is memchr's `arch` module).

mod exp;
pub(crate) mod f32_register;
pub(crate) mod f64_register;
mod ln;

pub(crate) use exp::{exp_f32_register, exp_register};
pub(crate) use ln::ln_register;

/// `f` on [`LANES`] arguments, one register of `f64` at a time: the register functions as
/// the tests call them. With `FMA` the caller must run on a processor with AVX2 and FMA.
#[cfg(test)]
fn through_registers<const FMA: bool>(
    x: [f64; LANES],
    f: impl Fn(f64_register::F64Register) -> f64_register::F64Register,
) -> [f64; LANES] {
    let mut out = [0.0; LANES];
    for (src, dst) in x
        .as_chunks::<{ f64::REGISTER_LANES }>()
        .0
        .iter()
        .zip(out.as_chunks_mut::<{ f64::REGISTER_LANES }>().0)
    {
        f64::store_register::<FMA>(f(f64::load_register::<FMA>(src)), dst);
    }
    out
}

/// [`exp_register`] of [`LANES`] arguments, for the tests.
#[cfg(test)]
pub(crate) fn exp_lanes<const FMA: bool>(x: [f64; LANES]) -> [f64; LANES] {
    through_registers::<FMA>(x, exp_register::<FMA>)
}

/// [`exp_f32_register`] of [`LANES`] arguments, one register, for the tests. With `FMA`
/// the caller must run on a processor with AVX2 and FMA.
#[cfg(test)]
pub(crate) fn exp_f32_lanes<const FMA: bool>(x: [f32; LANES]) -> [f32; LANES] {
    let mut out = [0.0; LANES];
    f32::store_register::<FMA>(
        exp_f32_register::<FMA>(f32::load_register::<FMA>(&x)),
        &mut out,
    );
    out
}

/// [`ln_register`] of [`LANES`] arguments, for the tests.
#[cfg(test)]
pub(crate) fn ln_lanes<const FMA: bool>(x: [f64; LANES]) -> [f64; LANES] {
    through_registers::<FMA>(x, ln_register::<FMA>)
}

/// Points processed together by the vectorised loops (one 512-bit or two 256-bit registers
/// of `f64`).
pub(crate) const LANES: usize = 8;

/// A number the vectorised loops hold in their lanes: `f64`, or `f32` for the single-precision
/// E-step (twice the points per register; docs/performance.md, "float32"). The loops are
/// written once, generic over it; sums that leave a tile are widened to `f64`.
pub(crate) trait Lane:
    Copy
    + Default
    + PartialOrd
    + std::fmt::Debug
    + Send
    + Sync
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + 'static
{
    /// Lanes of this type in one 256-bit (AVX2) register.
    const REGISTER_LANES: usize;

    /// Whether the scatter's tiles divide their weights by the tile's largest before the
    /// products are summed in this type: in `f32` the products of small weighted
    /// differences (a responsibility of 1e-50 gives `sqrt(r) (x - m)` near 1e-25 and
    /// products near 1e-50) fall below the normal range, and every operation on a
    /// subnormal number takes a slow microcode path (the `f32` fit at D = 32 ran at half
    /// the speed of the `f64` one). `f64` keeps its weights as they are.
    const RESCALES_TILE_WEIGHTS: bool;

    /// Whether a chunk's first moments (`N_k` and `sum_n r_n x_n` per lane) are summed over
    /// each tile of points in this type and then added in `f64`: `f32`, eight lanes to a
    /// register, 16 terms per lane and tile (within 1e-6 relative, far inside the `f32`
    /// E-step's 1e-5). `f64` sums them in `f64` from the first point to the last, the same
    /// bits as one pass per feature.
    const SUMS_MOMENTS_PER_TILE: bool;

    /// The values as `f64` if this type is `f64` (for code written for `f64` alone: the
    /// AVX-512 rank update).
    #[cfg(target_arch = "x86_64")]
    fn as_f64(s: &[Self]) -> Option<&[f64]>;

    /// The values as `f32` if this type is `f32` (for code written for `f32` alone).
    #[cfg(target_arch = "x86_64")]
    fn as_f32(s: &[Self]) -> Option<&[f32]>;

    /// The nearest value of this type (`f64` itself, or rounded to `f32`).
    fn from_f64(v: f64) -> Self;

    /// The value as `f64` (exact).
    fn to_f64(self) -> f64;

    /// The square root of a non-negative `w` in this type: `w.sqrt()` for `f64`; for `f32`,
    /// `w` rounded to `f32` and its root taken there (within an ulp of `f32` of the rounded
    /// `f64` root, at half the cost: eight lanes to a register).
    fn root_of(w: f64) -> Self;

    /// `self * b + c`, fused when `FMA` (the caller is compiled with FMA instructions).
    fn fma<const FMA: bool>(self, b: Self, c: Self) -> Self;

    /// One vector register of [`Lane::REGISTER_LANES`] lanes, for the loops the compiler
    /// does not vectorise across a whole register by itself (the triangular product and the
    /// rank update). With `FMA` the operations below are AVX2 + FMA instructions (the caller
    /// is compiled for them), else portable code.
    type Register: Copy;

    /// A register of zeros.
    fn zero_register() -> Self::Register;

    /// The first [`Lane::REGISTER_LANES`] values of `s` (which must hold that many).
    fn load_register<const FMA: bool>(s: &[Self]) -> Self::Register;

    /// The [`LANES`] values of a group in registers: two of `f64`, one of `f32` (the second
    /// register then holds zeros, unused). From a fixed-size array, so that the loads need no
    /// bounds checks.
    #[inline(always)]
    fn load_group<const FMA: bool>(group: &[Self; LANES]) -> [Self::Register; 2] {
        let mut out = [Self::zero_register(); 2];
        for (h, reg) in out
            .iter_mut()
            .enumerate()
            .take(LANES / Self::REGISTER_LANES)
        {
            *reg = Self::load_register::<FMA>(&group[h * Self::REGISTER_LANES..]);
        }
        out
    }

    /// Four values widened to `f64` (exactly) in a register of `f64`.
    fn load_widened<const FMA: bool>(s: &[Self; 4]) -> f64_register::F64Register;

    /// The four lanes of a register of `f64`, each rounded to the nearest value of this
    /// type (as [`Lane::from_f64`]), written to `out`.
    fn store_narrowed<const FMA: bool>(r: f64_register::F64Register, out: &mut [Self; 4]);

    /// `v` in every lane.
    fn splat_register<const FMA: bool>(v: Self) -> Self::Register;

    /// `a * b + c` lane by lane, fused when `FMA`.
    fn fma_register<const FMA: bool>(
        a: Self::Register,
        b: Self::Register,
        c: Self::Register,
    ) -> Self::Register;

    /// Writes the lanes of `r` to the first [`Lane::REGISTER_LANES`] values of `out`.
    fn store_register<const FMA: bool>(r: Self::Register, out: &mut [Self]);

    /// Adds `scale * r` lane by lane, in `f64`, to the first [`Lane::REGISTER_LANES`] values
    /// of `sums`: each lane widened, multiplied by `scale`, rounded, then added and rounded
    /// (not fused), so the same bits as one lane at a time. With `fresh` the values of `sums`
    /// are not read: `scale * r` is added to zeros (the same bits as zeroing `sums` first).
    fn add_scaled_register<const FMA: bool>(
        r: Self::Register,
        scale: f64,
        sums: &mut [f64],
        fresh: bool,
    );
}

impl Lane for f64 {
    const REGISTER_LANES: usize = 4;
    const RESCALES_TILE_WEIGHTS: bool = false;
    const SUMS_MOMENTS_PER_TILE: bool = false;

    /// Four lanes. On x86-64 an AVX register, operated on by AVX2 + FMA instructions when
    /// `FMA` (written as arrays, the compiler left the rank update's accumulators in memory:
    /// 2.4x slower), by portable code through an array otherwise. The same operations, so
    /// the same bits, either way.
    #[cfg(target_arch = "x86_64")]
    type Register = std::arch::x86_64::__m256d;
    #[cfg(not(target_arch = "x86_64"))]
    type Register = [f64; 4];

    #[inline(always)]
    fn zero_register() -> Self::Register {
        from_array_f64([0.0; 4])
    }

    #[inline(always)]
    fn load_register<const FMA: bool>(s: &[Self]) -> Self::Register {
        let s: &[f64; 4] = s[..4].try_into().expect("a whole register of lanes");
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: `FMA` is true only in code compiled for AVX2 + FMA, run on processors
            // that have them (`avx2_fma_dispatch!`); `s` holds 4 values (unaligned load).
            return unsafe { std::arch::x86_64::_mm256_loadu_pd(s.as_ptr()) };
        }
        from_array_f64(*s)
    }

    #[inline(always)]
    fn load_widened<const FMA: bool>(s: &[Self; 4]) -> Self::Register {
        Self::load_register::<FMA>(s)
    }

    #[inline(always)]
    fn store_narrowed<const FMA: bool>(r: Self::Register, out: &mut [Self; 4]) {
        Self::store_register::<FMA>(r, out);
    }

    #[inline(always)]
    fn splat_register<const FMA: bool>(v: Self) -> Self::Register {
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: as in `load_register`: AVX is available when `FMA`.
            return unsafe { std::arch::x86_64::_mm256_set1_pd(v) };
        }
        from_array_f64([v; 4])
    }

    #[inline(always)]
    fn fma_register<const FMA: bool>(
        a: Self::Register,
        b: Self::Register,
        c: Self::Register,
    ) -> Self::Register {
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: as in `load_register`: FMA is available when `FMA`.
            return unsafe { std::arch::x86_64::_mm256_fmadd_pd(a, b, c) };
        }
        let (a, b, c) = (to_array_f64(a), to_array_f64(b), to_array_f64(c));
        from_array_f64(std::array::from_fn(|l| mul_add::<FMA>(a[l], b[l], c[l])))
    }

    #[inline(always)]
    fn store_register<const FMA: bool>(r: Self::Register, out: &mut [Self]) {
        let out: &mut [f64; 4] = (&mut out[..4])
            .try_into()
            .expect("a whole register of lanes");
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: as in `load_register`; `out` has room for 4 values (unaligned store).
            unsafe { std::arch::x86_64::_mm256_storeu_pd(out.as_mut_ptr(), r) };
            return;
        }
        *out = to_array_f64(r);
    }

    #[inline(always)]
    fn add_scaled_register<const FMA: bool>(
        r: Self::Register,
        scale: f64,
        sums: &mut [f64],
        fresh: bool,
    ) {
        let sums: &mut [f64; 4] = (&mut sums[..4])
            .try_into()
            .expect("a whole register of lanes");
        #[cfg(target_arch = "x86_64")]
        if FMA {
            use std::arch::x86_64::{
                _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
                _mm256_storeu_pd,
            };
            // SAFETY: as in `load_register`; `sums` holds 4 values (unaligned load and store).
            unsafe {
                let scaled = _mm256_mul_pd(_mm256_set1_pd(scale), r);
                let before = if fresh {
                    _mm256_setzero_pd()
                } else {
                    _mm256_loadu_pd(sums.as_ptr())
                };
                _mm256_storeu_pd(sums.as_mut_ptr(), _mm256_add_pd(before, scaled));
            }
            return;
        }
        for (s, v) in sums.iter_mut().zip(to_array_f64(r)) {
            *s = if fresh { 0.0 } else { *s } + scale * v;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn as_f64(s: &[Self]) -> Option<&[f64]> {
        Some(s)
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }

    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }

    #[inline(always)]
    fn root_of(w: f64) -> Self {
        w.sqrt()
    }

    #[inline(always)]
    fn fma<const FMA: bool>(self, b: Self, c: Self) -> Self {
        mul_add::<FMA>(self, b, c)
    }
}

impl Lane for f32 {
    const REGISTER_LANES: usize = 8;
    const RESCALES_TILE_WEIGHTS: bool = true;
    const SUMS_MOMENTS_PER_TILE: bool = true;

    /// Eight lanes. On x86-64 an AVX register, operated on by AVX2 + FMA instructions when
    /// `FMA` (the compiler splits arrays of eight `f32` into two 128-bit halves here, which
    /// takes away the gain of single precision), by portable code through an array
    /// otherwise.
    #[cfg(target_arch = "x86_64")]
    type Register = std::arch::x86_64::__m256;
    #[cfg(not(target_arch = "x86_64"))]
    type Register = [f32; 8];

    #[inline(always)]
    fn zero_register() -> Self::Register {
        from_array_f32([0.0; 8])
    }

    #[inline(always)]
    fn load_register<const FMA: bool>(s: &[Self]) -> Self::Register {
        let s: &[f32; 8] = s[..8].try_into().expect("a whole register of lanes");
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: `FMA` is true only in code compiled for AVX2 + FMA, run on processors
            // that have them (`avx2_fma_dispatch!`); `s` holds 8 values (unaligned load).
            return unsafe { std::arch::x86_64::_mm256_loadu_ps(s.as_ptr()) };
        }
        from_array_f32(*s)
    }

    #[inline(always)]
    fn load_widened<const FMA: bool>(s: &[Self; 4]) -> f64_register::F64Register {
        #[cfg(target_arch = "x86_64")]
        if FMA {
            use std::arch::x86_64::{_mm_loadu_ps, _mm256_cvtps_pd};
            // SAFETY: as in `load_register`; `s` holds 4 values (unaligned load).
            return unsafe { _mm256_cvtps_pd(_mm_loadu_ps(s.as_ptr())) };
        }
        from_array_f64(s.map(f64::from))
    }

    #[inline(always)]
    fn store_narrowed<const FMA: bool>(r: f64_register::F64Register, out: &mut [Self; 4]) {
        #[cfg(target_arch = "x86_64")]
        if FMA {
            use std::arch::x86_64::{_mm_storeu_ps, _mm256_cvtpd_ps};
            // SAFETY: as in `load_register`; `out` has room for 4 values (unaligned store).
            unsafe { _mm_storeu_ps(out.as_mut_ptr(), _mm256_cvtpd_ps(r)) };
            return;
        }
        *out = to_array_f64(r).map(|v| v as f32);
    }

    #[inline(always)]
    fn splat_register<const FMA: bool>(v: Self) -> Self::Register {
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: as in `load_register`: AVX is available when `FMA`.
            return unsafe { std::arch::x86_64::_mm256_set1_ps(v) };
        }
        from_array_f32([v; 8])
    }

    #[inline(always)]
    fn fma_register<const FMA: bool>(
        a: Self::Register,
        b: Self::Register,
        c: Self::Register,
    ) -> Self::Register {
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: as in `load_register`: FMA is available when `FMA`.
            return unsafe { std::arch::x86_64::_mm256_fmadd_ps(a, b, c) };
        }
        let (a, b, c) = (to_array_f32(a), to_array_f32(b), to_array_f32(c));
        from_array_f32(std::array::from_fn(|l| a[l] * b[l] + c[l]))
    }

    #[inline(always)]
    fn store_register<const FMA: bool>(r: Self::Register, out: &mut [Self]) {
        let out: &mut [f32; 8] = (&mut out[..8])
            .try_into()
            .expect("a whole register of lanes");
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: as in `load_register`; `out` has room for 8 values (unaligned store).
            unsafe { std::arch::x86_64::_mm256_storeu_ps(out.as_mut_ptr(), r) };
            return;
        }
        *out = to_array_f32(r);
    }

    #[inline(always)]
    fn add_scaled_register<const FMA: bool>(
        r: Self::Register,
        scale: f64,
        sums: &mut [f64],
        fresh: bool,
    ) {
        let sums: &mut [f64; 8] = (&mut sums[..8])
            .try_into()
            .expect("a whole register of lanes");
        #[cfg(target_arch = "x86_64")]
        if FMA {
            use std::arch::x86_64::{
                _mm256_add_pd, _mm256_castps256_ps128, _mm256_cvtps_pd, _mm256_extractf128_ps,
                _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
                _mm256_storeu_pd,
            };
            // SAFETY: as in `load_register`; `sums` holds 8 values (unaligned loads and
            // stores of its two halves).
            unsafe {
                let scale = _mm256_set1_pd(scale);
                let halves = [
                    _mm256_cvtps_pd(_mm256_castps256_ps128(r)),
                    _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(r)),
                ];
                for (h, half) in halves.into_iter().enumerate() {
                    let at = sums.as_mut_ptr().add(4 * h);
                    let before = if fresh {
                        _mm256_setzero_pd()
                    } else {
                        _mm256_loadu_pd(at)
                    };
                    _mm256_storeu_pd(at, _mm256_add_pd(before, _mm256_mul_pd(scale, half)));
                }
            }
            return;
        }
        for (s, v) in sums.iter_mut().zip(to_array_f32(r)) {
            *s = if fresh { 0.0 } else { *s } + scale * f64::from(v);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn as_f64(_: &[Self]) -> Option<&[f64]> {
        None
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn as_f32(s: &[Self]) -> Option<&[f32]> {
        Some(s)
    }

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }

    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }

    #[inline(always)]
    fn root_of(w: f64) -> Self {
        (w as f32).sqrt()
    }

    #[inline(always)]
    fn fma<const FMA: bool>(self, b: Self, c: Self) -> Self {
        if FMA {
            self.mul_add(b, c)
        } else {
            self * b + c
        }
    }
}

/// Four `f64` lanes as a register (a plain copy of the bits, no instruction).
#[inline(always)]
fn from_array_f64(v: [f64; 4]) -> <f64 as Lane>::Register {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `__m256d` and `[f64; 4]` have the same size, and every bit pattern is
        // valid for both.
        unsafe { std::mem::transmute::<[f64; 4], std::arch::x86_64::__m256d>(v) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        v
    }
}

/// A register's four `f64` lanes as an array.
#[inline(always)]
fn to_array_f64(r: <f64 as Lane>::Register) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: as in `from_array_f64`.
        unsafe { std::mem::transmute::<std::arch::x86_64::__m256d, [f64; 4]>(r) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        r
    }
}

/// Eight `f32` lanes as a register (a plain copy of the bits, no instruction).
#[inline(always)]
fn from_array_f32(v: [f32; 8]) -> <f32 as Lane>::Register {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `__m256` and `[f32; 8]` have the same size, and every bit pattern is valid
        // for both.
        unsafe { std::mem::transmute::<[f32; 8], std::arch::x86_64::__m256>(v) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        v
    }
}

/// A register's eight `f32` lanes as an array.
#[inline(always)]
fn to_array_f32(r: <f32 as Lane>::Register) -> [f32; 8] {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: as in `from_array_f32`.
        unsafe { std::mem::transmute::<std::arch::x86_64::__m256, [f32; 8]>(r) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        r
    }
}

/// `a * b + c`, fused when `FMA` (the caller is compiled with FMA instructions).
#[inline(always)]
pub(crate) fn mul_add<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Sum of the lanes in a fixed order.
#[inline(always)]
pub(crate) fn hsum(v: [f64; LANES]) -> f64 {
    ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]))
}

/// The [`LANES`] values of `v` from `at`.
#[inline(always)]
pub(crate) fn lanes<T>(v: &[T], at: usize) -> &[T; LANES] {
    v[at..at + LANES]
        .try_into()
        .expect("a whole group of lanes")
}

/// Whether the processor has AVX2 and FMA (cached by the standard library).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Whether the processor has AVX-512F (cached by the standard library): the rank update
/// then runs on its 512-bit registers (`stats::rank_update`), from inside the
/// AVX2 + FMA copy of the E-step.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx512f() -> bool {
    std::is_x86_feature_detected!("avx512f")
}

/// Writes a method twice from one body generic over `FMA`: a dispatching method that calls
/// the copy compiled for AVX2 + FMA when the processor has them (checked at run time,
/// cached) and the portable copy otherwise, and that AVX2 + FMA copy itself.
///
/// ```text
/// avx2_fma_dispatch! {
///     /// Docs of the dispatching method.
///     pub(super) fn name(&self, a: A, b: B) -> R = name_generic / name_avx2_fma;
/// }
/// ```
///
/// A method may be generic over types (`fn name<T: Bound>(&self, ...)`); the generic body is
/// then `name_generic::<const FMA: bool, T: Bound>`.
///
/// `name_generic::<const FMA: bool>(&self, a, b) -> R` must be `#[inline(always)]` (and so
/// must everything it calls), so that the AVX2 + FMA copy is compiled with those
/// instructions all the way down.
macro_rules! avx2_fma_dispatch {
    ($(
        $(#[$attr:meta])*
        $vis:vis fn $name:ident $(<$($g:ident: $b:path),+>)? (&self $(, $arg:ident: $ty:ty)* $(,)?)
            $(-> $ret:ty)? = $generic:ident / $twin:ident;
    )*) => {$(
        $(#[$attr])*
        $vis fn $name $(<$($g: $b),+>)? (&self $(, $arg: $ty)*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            if $crate::simd::has_avx2_fma() {
                // SAFETY: the processor supports AVX2 and FMA (checked at run time just
                // above), which is all the AVX2 + FMA copy requires.
                return unsafe { self.$twin $(::<$($g),+>)? ($($arg),*) };
            }
            self.$generic::<false $($(, $g)+)?>($($arg),*)
        }

        #[doc = concat!("[`Self::", stringify!($generic), "`] compiled for AVX2 and FMA.")]
        ///
        /// # Safety
        /// The processor must support AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $twin $(<$($g: $b),+>)? (&self $(, $arg: $ty)*) $(-> $ret)? {
            self.$generic::<true $($(, $g)+)?>($($arg),*)
        }
    )*};
}
pub(crate) use avx2_fma_dispatch;
