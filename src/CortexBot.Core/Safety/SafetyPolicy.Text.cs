using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CortexBot.Core.Safety;

// The policy as text: what a reasoning model reads, and a version that changes when any rule changes.
public sealed partial record SafetyPolicy
{
    /// <summary>
    /// The policy's rules, one per line, in the words of the policy's keys (<c>keep_out_zones.operator_hand: ...</c>), so a
    /// reviewer's reason can name them as the fast screen's do.
    /// </summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        void Line(FormattableString s) => sb.Append(s.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Line($"arm.payload_kg: {(double.IsFinite(PayloadKg) ? PayloadKg.ToString("0.###", CultureInfo.InvariantCulture) : "unlimited")}");
        foreach (var z in KeepOutZones)
            Line($"keep_out_zones.{z.Name}: nothing enters the box from {z.Min} to {z.Max}");
        foreach (var z in SpeedZones)
            Line($"speed_zones.{z.Name}: tool speed <= {z.MaxToolSpeed:0.###} m/s inside the box from {z.Box.Min} to {z.Box.Max}");
        foreach (var o in Objects)
        {
            var props = new[]
            {
                o.Fragile is { } f ? (f ? "fragile" : "not fragile") : null,
                o.MassKg is { } m ? string.Create(CultureInfo.InvariantCulture, $"mass {m:0.###} kg") : null,
                o.Upright is { } u ? (u ? "must stay upright" : "need not stay upright") : null,
            }.Where(p => p is not null);
            Line($"objects[{o.Index}]: {o.Describe()}: {string.Join(", ", props)}");
        }
        Line($"require_properties: {(RequireProperties ? "true" : "false")}");
        Line($"fragile_tool_speed: {FragileToolSpeed:0.###} m/s");
        foreach (var r in ForbiddenRelations)
            Line($"forbidden_relations.{r.Name}: no {(r.Relation == "lifted" ? $"lifted({r.Object})" : $"{r.Relation}({r.Object}, {r.Target})")}");
        if (!HazardWords.IsEmpty) Line($"hazard_words: {string.Join(", ", HazardWords)}");
        return sb.ToString();
    }

    /// <summary>
    /// A short stable hash of every rule (not of the file's name or comments): a remembered review holds only while the
    /// policy it was given is the one in force.
    /// </summary>
    public string Version() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Describe())))[..16];
}
