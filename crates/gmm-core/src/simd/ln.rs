//! The vectorised natural logarithm of the E-step's logsumexp: one register of four lanes
//! at a time, on the operations of [`f64_register`](super::f64_register).

use super::Lane;
use super::f64_register::{
    F64Register, add, all_positive_normal, div, exponent_and_mantissa, mul, sub,
};
use super::{from_array_f64, to_array_f64};

/// `ln` of each lane of a register, as fdlibm's `log` computes it: `x = 2^k (1 + f)` with
/// `1 + f` in `[sqrt(2) / 2, sqrt(2))`, `s = f / (2 + f)`, and
/// `ln x = k ln2_hi - ((f^2 / 2 - (s (f^2 / 2 + R(s^2)) + k ln2_lo)) - f)` with fdlibm's
/// polynomial `R` (error below 2^-58.45) and `ln 2` split in two; within 1 ulp of the
/// correctly rounded result. A register with any lane that is not a normal positive number
/// (zero, subnormal, negative, infinite, NaN) is taken lane by lane by the standard library,
/// so those keep its results exactly (`ln 0 = -inf`, NaN for a negative number).
#[inline(always)]
pub(crate) fn ln_register<const FMA: bool>(x: F64Register) -> F64Register {
    // fdlibm's constants, by their bits
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const LG: [f64; 7] = [
        f64::from_bits(0x3fe5_5555_5555_5593),
        f64::from_bits(0x3fd9_9999_9997_fa04),
        f64::from_bits(0x3fd2_4924_9422_9359),
        f64::from_bits(0x3fcc_71c5_1d8e_78af),
        f64::from_bits(0x3fc7_4664_96cb_03de),
        f64::from_bits(0x3fc3_9a09_d078_c69f),
        f64::from_bits(0x3fc2_f112_df3e_5244),
    ];
    if !all_positive_normal::<FMA>(x) {
        return from_array_f64(to_array_f64(x).map(f64::ln));
    }
    let splat = f64::splat_register::<FMA>;
    let fma = f64::fma_register::<FMA>;
    let (k, m) = exponent_and_mantissa::<FMA>(x);
    let f = sub::<FMA>(m, splat(1.0));
    let s = div::<FMA>(f, add::<FMA>(splat(2.0), f));
    let z = mul::<FMA>(s, s);
    let w = mul::<FMA>(z, z);
    // t1 = w (Lg2 + w (Lg4 + w Lg6)), t2 = z (Lg1 + w (Lg3 + w (Lg5 + w Lg7)))
    let t1 = mul::<FMA>(w, fma(w, fma(w, splat(LG[5]), splat(LG[3])), splat(LG[1])));
    let t2 = mul::<FMA>(
        z,
        fma(
            w,
            fma(w, fma(w, splat(LG[6]), splat(LG[4])), splat(LG[2])),
            splat(LG[0]),
        ),
    );
    let r = add::<FMA>(t2, t1);
    let half_f_squared = mul::<FMA>(mul::<FMA>(splat(0.5), f), f);
    // k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)
    let inner = add::<FMA>(
        mul::<FMA>(s, add::<FMA>(half_f_squared, r)),
        mul::<FMA>(k, splat(LN2_LO)),
    );
    sub::<FMA>(
        mul::<FMA>(k, splat(LN2_HI)),
        sub::<FMA>(sub::<FMA>(half_f_squared, inner), f),
    )
}
