using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CortexBot.Core.Skills;

/// <summary>Kinds of skill arguments, so planners and validators can ground them in the scene.</summary>
public enum ArgKind { Object, Container }

public sealed record SkillArg(string Name, ArgKind Kind);

/// <summary>
/// A catalogued skill. <paramref name="Requires"/> and <paramref name="Effects"/> are its preconditions and effects as the
/// catalogue writes them (see <see cref="SkillCondition"/>); the catalogue parses them into <see cref="Preconditions"/> and
/// <see cref="Postconditions"/>. Absent lists mean none.
/// </summary>
public sealed record SkillSpec(string Name, string Kind, string Description, IReadOnlyList<SkillArg> Args,
    IReadOnlyList<string>? Requires = null, IReadOnlyList<string>? Effects = null)
{
    /// <summary>What must hold before the skill runs (parsed by <see cref="SkillCatalogue"/>).</summary>
    [JsonIgnore] public ImmutableArray<SkillCondition> Preconditions { get; private init; } = [];

    /// <summary>What holds after the skill ran, applied in order (parsed by <see cref="SkillCatalogue"/>).</summary>
    [JsonIgnore] public ImmutableArray<SkillCondition> Postconditions { get; private init; } = [];

    /// <summary>The index of the argument the skill ends up holding (<c>holding(a)</c> among its effects), or -1.</summary>
    [JsonIgnore] public int GraspsArg => ArgIndex(Postconditions, Predicate.Holding);

    /// <summary>The index of the argument the skill needs to hold (<c>holding(a)</c> among its preconditions), or -1.</summary>
    [JsonIgnore] public int NeedsHeldArg => ArgIndex(Preconditions, Predicate.Holding);

    /// <summary>Whether the skill needs empty hands.</summary>
    [JsonIgnore] public bool NeedsEmptyHand => Preconditions.Any(c => c is { Predicate: Predicate.HandEmpty, Negated: false });

    /// <summary>Whether the skill leaves the hand empty.</summary>
    [JsonIgnore] public bool EmptiesHand => Postconditions.Any(c => c.Predicate == Predicate.HandEmpty);

    /// <summary>Whether argument <paramref name="index"/> must be something the gripper can hold (not a container):
    /// the skill requires holding it or requires it graspable.</summary>
    public bool IsGraspableArg(int index) =>
        index >= 0 && index < Args.Count &&
        Preconditions.Concat(Postconditions).Any(c => c.Predicate is Predicate.Holding or Predicate.Graspable && !c.Negated && c.Args[0] == Args[index].Name);

    private int ArgIndex(ImmutableArray<SkillCondition> conditions, Predicate predicate)
    {
        var c = conditions.FirstOrDefault(c => c.Predicate == predicate && !c.Negated);
        if (c is null) return -1;
        for (int i = 0; i < Args.Count; i++) if (Args[i].Name == c.Args[0]) return i;
        return -1;
    }

    /// <summary>This skill with its conditions parsed; throws <see cref="ConfigurationException"/> naming the skill and the key.</summary>
    internal SkillSpec Parsed()
    {
        var names = (Args ?? []).Select(a => a.Name).ToList();
        var dupArg = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (dupArg is not null) throw new ConfigurationException($"skill '{Name}': argument '{dupArg.Key}' is listed twice");
        ImmutableArray<SkillCondition> Parse(IReadOnlyList<string>? texts, string key, bool effect)
        {
            var parsed = ImmutableArray.CreateBuilder<SkillCondition>();
            foreach (var text in texts ?? [])
            {
                var c = SkillCondition.Parse(text, names, effect, out var error)
                    ?? throw new ConfigurationException($"skill '{Name}', key '{key}': {error}");
                parsed.Add(c);
            }
            return parsed.ToImmutable();
        }
        var pre = Parse(Requires, "requires", effect: false);
        var post = Parse(Effects, "effects", effect: true);
        if (post.Count(c => c.Predicate is Predicate.HandEmpty or Predicate.Holding) > 1)
            throw new ConfigurationException($"skill '{Name}', key 'effects': states the hand more than once");
        if (pre.Any(c => c is { Predicate: Predicate.HandEmpty, Negated: false }) && pre.Any(c => c is { Predicate: Predicate.Holding, Negated: false }))
            throw new ConfigurationException($"skill '{Name}', key 'requires': asks for an empty hand and for holding something");
        return this with { Preconditions = pre, Postconditions = post };
    }
}

/// <summary>The skills the cerebellum can run, loaded from <c>agents/skills.json</c>.</summary>
public sealed class SkillCatalogue
{
    private readonly Dictionary<string, SkillSpec> _byName;

    /// <summary>Parses every skill's conditions; throws <see cref="ConfigurationException"/> naming the skill and key of a bad one.</summary>
    public SkillCatalogue(IEnumerable<SkillSpec> skills)
    {
        Skills = skills.Select(s => s.Parsed()).ToList();
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
            if (s.Args.Any(a => a is null || string.IsNullOrWhiteSpace(a.Name)))
                throw new ConfigurationException($"skill catalogue {path}: skill '{s.Name}', key 'args': every argument needs a name");
            if ((s.Requires?.Any(r => r is null) ?? false) || (s.Effects?.Any(r => r is null) ?? false))
                throw new ConfigurationException($"skill catalogue {path}: skill '{s.Name}': requires and effects must be lists of strings");
        }
        var dup = skills.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ConfigurationException($"skill catalogue {path}: skill '{dup.Key}' is listed twice");
        try
        {
            return new SkillCatalogue(skills);
        }
        catch (ConfigurationException e)
        {
            throw new ConfigurationException($"skill catalogue {path}: {e.Message}");
        }
    }
}
