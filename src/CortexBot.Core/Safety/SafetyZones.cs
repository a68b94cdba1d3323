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

    public SafetyZones(IReadOnlyList<SafetyZone> keepOut, IReadOnlyList<SpeedZone> speed)
    {
        KeepOut = [.. keepOut];
        Speed = [.. speed];
        _keepOut = Pack(keepOut);
        _speed = Pack(speed.Select(s => s.Box).ToList());
        _speedLimit = [.. speed.Select(s => s.MaxToolSpeed)];
    }

    /// <summary>The zones of <paramref name="policy"/>; null when it has none (the gate then checks nothing more).</summary>
    public static SafetyZones? From(SafetyPolicy policy) => policy.HasZones ? new SafetyZones(policy.KeepOutZones, policy.SpeedZones) : null;

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
        $"safety zones: keep out of {(KeepOut.Count == 0 ? "none" : string.Join(", ", KeepOut.Select(z => z.Name)))}; speed zones {(Speed.Count == 0 ? "none" : string.Join(", ", Speed.Select(z => FormattableString.Invariant($"{z.Name} <= {z.MaxToolSpeed:0.###} m/s"))))}";
}
