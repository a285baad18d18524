//! A seeded pseudo-random generator and address helpers.

/// splitmix64: tiny, seeded, good enough to spread test addresses.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A random address inside `addr/len` for a `width`-bit family.
pub fn inside(rng: &mut Rng, addr: u128, len: u8, width: u32) -> u128 {
    let host_bits = width - u32::from(len);
    let host = if host_bits == 0 {
        0
    } else {
        rng.next_u128() >> (128 - host_bits)
    };
    addr | host
}

/// Last address of `addr/len` for a `width`-bit family.
pub fn last(addr: u128, len: u8, width: u32) -> u128 {
    let host_bits = width - u32::from(len);
    if host_bits == 0 {
        addr
    } else {
        addr | (u128::MAX >> (128 - host_bits))
    }
}
