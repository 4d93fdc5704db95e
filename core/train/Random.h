#pragma once
// A small counter-friendly random generator (splitmix64) with portable draws: the same seed
// gives the same shuffles and augmentations on every platform and standard library, and a
// generator seeded from (seed, step) makes a resumed run draw exactly what an uninterrupted
// one would, without saving generator state.
#include <cstdint>
#include <utility>
#include <vector>

namespace vop {

inline uint64_t splitmix64(uint64_t& state)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class Rng {
public:
    explicit Rng(uint64_t seed, uint64_t stream = 0) : m_state(seed)
    {
        uint64_t s = stream * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull;
        m_state ^= splitmix64(s);
        next();
    }
    uint64_t next() { return splitmix64(m_state); }
    double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); } // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; } // bias negligible for small n
    template <typename T>
    void shuffle(std::vector<T>& v)
    {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[size_t(below(i))]);
    }

private:
    uint64_t m_state;
};

} // namespace vop
