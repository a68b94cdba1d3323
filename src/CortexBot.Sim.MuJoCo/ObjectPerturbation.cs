using System.Globalization;
using CortexBot.Core;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// A consistent change to one object's physics that the cameras and the scene description cannot show (a heavier,
/// more slippery cube), applied to the simulator for a whole run: the kind of surprise experience has to teach.
/// Text form: <c>OBJECT:slippery</c> or <c>OBJECT:mass=KG,friction=MU</c>.
/// </summary>
public sealed record ObjectPerturbation(string Object, ObjectPhysics Physics)
{
    /// <summary>
    /// "slippery": 0.2 kg at friction 0.3. Measured in the default scene: the default moderate grasp lets it slip out during
    /// the lift on every seed tried, the full squeeze (firm grip) carries it (the limits lie near 0.16 and 0.24 kg).
    /// </summary>
    public static ObjectPhysics Slippery { get; } = new(0.2, 0.3);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Object}:mass={Physics.Mass},friction={Physics.Friction}");

    public static ObjectPerturbation Parse(string text)
    {
        int colon = text.IndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new ConfigurationException($"--perturb '{text}': expected OBJECT:slippery or OBJECT:mass=KG,friction=MU");
        string obj = text[..colon].Trim();
        string spec = text[(colon + 1)..].Trim();
        if (spec == "slippery") return new(obj, Slippery);
        double? mass = null, friction = null;
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v <= 0)
                throw new ConfigurationException($"--perturb '{text}': '{part}' is not KEY=POSITIVE_NUMBER");
            switch (kv[0])
            {
                case "mass": mass = v; break;
                case "friction": friction = v; break;
                default: throw new ConfigurationException($"--perturb '{text}': unknown property '{kv[0]}' (known: mass, friction; or the preset slippery)");
            }
        }
        if (mass is null && friction is null)
            throw new ConfigurationException($"--perturb '{text}': give mass=KG and/or friction=MU, or the preset slippery");
        return new(obj, new ObjectPhysics(mass ?? double.NaN, friction ?? double.NaN));
    }

    /// <summary>Applies this to <paramref name="world"/>; properties not given keep the scene's values.</summary>
    public void ApplyTo(MuJoCoWorld world)
    {
        ObjectPhysics current;
        try { current = world.GetObjectPhysics(Object); }
        catch (ArgumentException e) { throw new ConfigurationException($"--perturb {this}: {e.Message}"); }
        var target = new ObjectPhysics(double.IsNaN(Physics.Mass) ? current.Mass : Physics.Mass,
            double.IsNaN(Physics.Friction) ? current.Friction : Physics.Friction);
        try { world.SetObjectPhysics(Object, target); }
        catch (ArgumentOutOfRangeException e) { throw new ConfigurationException($"--perturb {Object}: {e.Message}"); }
    }
}
