using System.Text.Json;
using System.Text.Json.Serialization;

namespace CortexBot.Core.Skills;

/// <summary>Kinds of skill arguments, so planners and validators can ground them in the scene.</summary>
public enum ArgKind { Object, Container }

public sealed record SkillArg(string Name, ArgKind Kind);

public sealed record SkillSpec(string Name, string Kind, string Description, IReadOnlyList<SkillArg> Args);

/// <summary>The skills the cerebellum can run, loaded from <c>agents/skills.json</c>.</summary>
public sealed class SkillCatalogue
{
    private readonly Dictionary<string, SkillSpec> _byName;

    public SkillCatalogue(IEnumerable<SkillSpec> skills)
    {
        Skills = skills.ToList();
        _byName = Skills.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<SkillSpec> Skills { get; }

    public SkillSpec? Find(string name) => _byName.GetValueOrDefault(name);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private sealed record CatalogueFile(List<SkillSpec>? Skills);

    /// <summary>Load and check a catalogue; throws <see cref="ConfigurationException"/> with the reason.</summary>
    public static SkillCatalogue Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigurationException($"skill catalogue not found: {path}");
        CatalogueFile? file;
        try { file = JsonSerializer.Deserialize<CatalogueFile>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new ConfigurationException($"skill catalogue {path} is not valid JSON: {e.Message}"); }
        if (file?.Skills is not { Count: > 0 } skills) throw new ConfigurationException($"skill catalogue {path} lists no skills");
        foreach (var s in skills)
        {
            if (string.IsNullOrWhiteSpace(s.Name) || s.Args is null)
                throw new ConfigurationException($"skill catalogue {path}: every skill needs a name and an args list");
        }
        var dup = skills.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ConfigurationException($"skill catalogue {path}: skill '{dup.Key}' is listed twice");
        return new SkillCatalogue(skills);
    }
}
