using CortexBot.Core.Geometry;

namespace CortexBot.Core.Safety;

/// <summary>
/// The policy's zones packed for the control tick: keep-out boxes the tool and fingertips must not enter and speed boxes
/// with their tool speed limits, in flat arrays so a check allocates nothing.
/// </summary>
public sealed class SafetyZones
{
    private readonly double[] _keepOut;   // min xyz, max xyz per zone
    private readonly double[] _speed;     // min xyz, max xyz per zone
    private readonly double[] _speedLimit;

    /// <summary>The default deceleration (m/s²) the tool must be able to stop with before a keep-out zone's face.</summary>
    public const double DefaultBraking = 2.0;

    /// <summary>
    /// The slowest approach (m/s) braking asks for right at a zone's face: a crawl, so a hand may still come close to a zone
    /// (a place next to it) instead of stalling short of it; one control tick at this speed moves it a few hundredths of a mm.
    /// </summary>
    public const double ApproachSpeed = 0.02;

    /// <param name="braking">Deceleration (m/s²) assumed when approaching a keep-out zone: the tool's speed towards a zone is
    /// kept to what stops it at the face, sqrt(2·braking·gap).</param>
    public SafetyZones(IReadOnlyList<SafetyZone> keepOut, IReadOnlyList<SpeedZone> speed, double braking = DefaultBraking)
    {
        if (!(braking > 0) || !double.IsFinite(braking)) throw new ArgumentOutOfRangeException(nameof(braking), braking, "braking must be a positive deceleration");
        Braking = braking;
        KeepOut = [.. keepOut];
        Speed = [.. speed];
        _keepOut = Pack(keepOut);
        _speed = Pack(speed.Select(s => s.Box).ToList());
        _speedLimit = [.. speed.Select(s => s.MaxToolSpeed)];
    }

    /// <summary>The zones of <paramref name="policy"/>; null when it has none (the gate then checks nothing more).</summary>
    public static SafetyZones? From(SafetyPolicy policy) => policy.HasZones ? new SafetyZones(policy.KeepOutZones, policy.SpeedZones, policy.ZoneBraking) : null;

    /// <summary>The deceleration (m/s²) the approach speed to a keep-out zone allows for.</summary>
    public double Braking { get; }

    public IReadOnlyList<SafetyZone> KeepOut { get; }
    public IReadOnlyList<SpeedZone> Speed { get; }

    /// <summary>How deep (m) <paramref name="p"/> lies inside the keep-out zones (the deepest; 0 outside all).</summary>
    public double KeepOutDepth(Vec3 p)
    {
        double deepest = 0;
        for (int k = 0; k < _keepOut.Length; k += 6)
        {
            double d = Math.Min(Math.Min(Math.Min(p.X - _keepOut[k], _keepOut[k + 3] - p.X), Math.Min(p.Y - _keepOut[k + 1], _keepOut[k + 4] - p.Y)),
                Math.Min(p.Z - _keepOut[k + 2], _keepOut[k + 5] - p.Z));
            if (d > deepest) deepest = d;
        }
        return deepest;
    }

    /// <summary>How far (m) <paramref name="p"/> lies from the nearest keep-out zone (0 inside one; infinite without any).</summary>
    public double KeepOutGap(Vec3 p)
    {
        double nearest = double.PositiveInfinity;
        for (int k = 0; k < _keepOut.Length; k += 6)
        {
            double dx = Math.Max(0, Math.Max(_keepOut[k] - p.X, p.X - _keepOut[k + 3]));
            double dy = Math.Max(0, Math.Max(_keepOut[k + 1] - p.Y, p.Y - _keepOut[k + 4]));
            double dz = Math.Max(0, Math.Max(_keepOut[k + 2] - p.Z, p.Z - _keepOut[k + 5]));
            double d = Math.Sqrt(dx * dx + dy * dy + dz * dz);
            if (d < nearest) nearest = d;
        }
        return nearest;
    }

    /// <summary>
    /// The speed (m/s) from which the tool still stops before a zone <paramref name="gap"/> away, at <see cref="Braking"/>:
    /// sqrt(2·braking·gap), never below <see cref="ApproachSpeed"/>. A hold at the face then stops a hand that is already
    /// slow, instead of a 1 m/s motion the servos carry millimetres past it.
    /// </summary>
    public double ApproachLimit(double gap) => Math.Max(ApproachSpeed, Math.Sqrt(2 * Braking * gap));

    /// <summary>The lowest tool speed limit (m/s) of the speed zones containing <paramref name="p"/>; infinite outside them.</summary>
    public double SpeedLimitAt(Vec3 p)
    {
        double limit = double.PositiveInfinity;
        for (int k = 0, z = 0; k < _speed.Length; k += 6, z++)
        {
            if (p.X >= _speed[k] && p.X <= _speed[k + 3] && p.Y >= _speed[k + 1] && p.Y <= _speed[k + 4] && p.Z >= _speed[k + 2] && p.Z <= _speed[k + 5]
                && _speedLimit[z] < limit)
                limit = _speedLimit[z];
        }
        return limit;
    }

    private static double[] Pack(IReadOnlyList<SafetyZone> zones)
    {
        var a = new double[zones.Count * 6];
        for (int i = 0; i < zones.Count; i++)
        {
            var z = zones[i];
            a[6 * i] = z.Min.X; a[6 * i + 1] = z.Min.Y; a[6 * i + 2] = z.Min.Z;
            a[6 * i + 3] = z.Max.X; a[6 * i + 4] = z.Max.Y; a[6 * i + 5] = z.Max.Z;
        }
        return a;
    }

    public override string ToString() =>
        $"safety zones: keep out of {(KeepOut.Count == 0 ? "none" : string.Join(", ", KeepOut.Select(z => z.Name)) + FormattableString.Invariant($" (braking {Braking:0.##} m/s²)"))}; speed zones {(Speed.Count == 0 ? "none" : string.Join(", ", Speed.Select(z => FormattableString.Invariant($"{z.Name} <= {z.MaxToolSpeed:0.###} m/s"))))}";
}
