using System.Text.Json;

namespace CortexBot.Core.Json;

/// <summary>
/// The one JSON naming policy of CortexBot's documents (reports, manifests, dataset metadata): property names in
/// snake_case (<c>SuccessRate</c> becomes <c>success_rate</c>, digits stay with the letters before them: <c>P99Us</c>
/// becomes <c>p99_us</c>). A property whose document name differs from that keeps a <c>[JsonPropertyName]</c>.
/// Everything else is the serializer's default, so documents written before this policy read and write unchanged.
/// </summary>
public static class CortexBotJson
{
    /// <summary>One line per document (stdout <c>--json</c>, JSON lines).</summary>
    public static readonly JsonSerializerOptions Options = Create(indented: false);

    /// <summary>Indented, for files people read (policy manifests, dataset metadata).</summary>
    public static readonly JsonSerializerOptions Indented = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var o = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = indented };
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
