using System.Text.Json;
using CortexBot.Cerebellum.Learning;
using CortexBot.Core;

namespace CortexBot.Cerebellum.Learning.Tests;

/// <summary>The manifest's JSON names come from the shared snake_case policy: files written before it must read and write unchanged.</summary>
public sealed class PolicyManifestJsonTests
{
    [Fact]
    public void Shipped_manifest_saves_back_with_the_same_names_order_and_values()
    {
        string original = PolicyManifest.PathFor(Path.Combine(RepoPaths.Policies, "pick_place.onnx"));
        string copy = Path.Combine(Path.GetTempPath(), $"manifest-{Guid.NewGuid():N}.json");
        try
        {
            PolicyManifest.Load(original).Save(copy);
            using var expected = JsonDocument.Parse(File.ReadAllText(original));
            using var actual = JsonDocument.Parse(File.ReadAllText(copy));
            AssertSame(expected.RootElement, actual.RootElement, "$");
            // Saving what was saved changes nothing, byte for byte (the shipped file writes exponents as "e-05", .NET as "E-05").
            string again = copy + ".2";
            PolicyManifest.Load(copy).Save(again);
            Assert.Equal(File.ReadAllText(copy), File.ReadAllText(again));
            File.Delete(again);
        }
        finally { File.Delete(copy); }
    }

    private static void AssertSame(JsonElement e, JsonElement a, string path)
    {
        Assert.True(e.ValueKind == a.ValueKind, $"{path}: {e.ValueKind} became {a.ValueKind}");
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var en = e.EnumerateObject().ToList();
                var an = a.EnumerateObject().ToList();
                Assert.Equal(en.Select(p => p.Name), an.Select(p => p.Name));
                for (int i = 0; i < en.Count; i++) AssertSame(en[i].Value, an[i].Value, $"{path}.{en[i].Name}");
                break;
            case JsonValueKind.Array:
                Assert.Equal(e.GetArrayLength(), a.GetArrayLength());
                for (int i = 0; i < e.GetArrayLength(); i++) AssertSame(e[i], a[i], $"{path}[{i}]");
                break;
            case JsonValueKind.Number:
                Assert.True(e.GetDouble() == a.GetDouble(), $"{path}: {e.GetRawText()} became {a.GetRawText()}");
                break;
            case JsonValueKind.String:
                Assert.Equal(e.GetString(), a.GetString());
                break;
            default:
                Assert.True(e.GetRawText() == a.GetRawText(), $"{path}: {e.GetRawText()} became {a.GetRawText()}");
                break;
        }
    }
}
