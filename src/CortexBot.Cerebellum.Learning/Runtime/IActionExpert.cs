
namespace CortexBot.Cerebellum.Learning.Runtime;

/// <summary>
/// A chunked action expert: fill <see cref="Observation"/> (layout <see cref="PolicyLayout"/>), call <see cref="Infer"/>,
/// read the chunk [horizon, actions] row-major in raw units. Implementations run the same exported policy file and are
/// interchangeable; <see cref="Infer"/> allocates nothing. Not thread-safe: one caller at a time (the chunk worker).
/// </summary>
public interface IActionExpert : IDisposable
{
    PolicyManifest Manifest { get; }
    string ModelPath { get; }
    int Horizon { get; }
    int ActionSize { get; }
    int ObservationSize { get; }
    /// <summary>When true the noise is all zeros (the deterministic mode of the flow); otherwise seeded standard normal.</summary>
    bool DeterministicNoise { get; set; }
    /// <summary>The observation buffer, read by the next <see cref="Infer"/>.</summary>
    Span<float> Observation { get; }
    /// <summary>The noise buffer [horizon·actions] (refilled by <see cref="Infer"/> unless keepNoise).</summary>
    Span<float> Noise { get; }
    /// <summary>Runs one chunk; the returned span is valid until the next call.</summary>
    ReadOnlySpan<float> Infer(bool keepNoise = false);
    /// <summary>Copies <paramref name="observation"/> in and infers.</summary>
    ReadOnlySpan<float> Infer(ReadOnlySpan<float> observation);
}

/// <summary>
/// Seeded standard-normal noise (xorshift64* + Box-Muller), shared so that every <see cref="IActionExpert"/> built with the
/// same seed draws the same noise sequence.
/// </summary>
internal sealed class GaussianNoise
{
    private ulong _rng;

    public GaussianNoise(int seed)
    {
        _rng = 0x9E3779B97F4A7C15UL ^ (ulong)seed;
        if (_rng == 0) _rng = 1;
    }

    public void Fill(Span<float> noise, bool deterministic)
    {
        if (deterministic) { noise.Clear(); return; }
        for (int i = 0; i < noise.Length; i += 2)
        {
            // Two standard normals per pair of uniforms.
            double u1 = (Next() >> 11) * (1.0 / (1UL << 53));
            double u2 = (Next() >> 11) * (1.0 / (1UL << 53));
            double r = Math.Sqrt(-2 * Math.Log(Math.Max(u1, 1e-300)));
            noise[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < noise.Length) noise[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }

    private ulong Next()
    {
        _rng ^= _rng >> 12; _rng ^= _rng << 25; _rng ^= _rng >> 27;
        return _rng * 2685821657736338717UL;
    }
}
