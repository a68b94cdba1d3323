using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Core.Instructions;

/// <summary>
/// Reads instructions ("put the red cube in the bin", "pick up the green block and drop it into the basket", "put all
/// the red cubes in the bin", "stack the red cube on the blue cube", "build a tower of the red, green and blue cubes",
/// "sort the cubes by colour into the matching bins", "clear the table into the bin", "go home", "open the gripper")
/// into skill steps grounded in the scene, and the goal they ask for (the relations that must hold at the end:
/// <c>in(red_cube, bin)</c>, <c>on(red_cube, blue_cube)</c>, <c>lifted(red_cube)</c>); anything it cannot understand or
/// ground, and anything impossible or contradictory, is refused with a one-line reason. The one reader behind both the
/// rule planner (which checks the steps against the skill catalogue) and the host's success check (which judges the
/// goal). Pure and cheap: no model, no catalogue.
/// <para>A tower is read bottom first: "a tower of A, B and C" stands A on the table, B on A and C on B.</para>
/// </summary>
public static class InstructionReader
{
    /// <summary>
    /// The steps <paramref name="instruction"/> asks for in <paramref name="scene"/>, with its goal in
    /// <see cref="PlanResult.Goal"/> (null when it asks for no physical outcome, e.g. "go home"), or a refusal.
    /// </summary>
    /// <param name="learnedTransfer">"Put X in Y" becomes the learned pick-and-place skill instead of pick + place.</param>
    /// <param name="avoidLearned">With <paramref name="learnedTransfer"/>: objects the learned skill should not be used for.</param>
    public static PlanResult Read(string? instruction, SceneSnapshot scene, bool learnedTransfer = false, Func<string, bool>? avoidLearned = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        try
        {
            var parser = new Parser(instruction ?? "", scene) { LearnedTransfer = learnedTransfer, AvoidLearned = avoidLearned };
            var plan = parser.Run();
            return PlanResult.Of(plan) with { Goal = parser.Goal };
        }
        catch (RefusalException refusal)
        {
            return PlanResult.Refuse(refusal.Message);
        }
    }

    private sealed class RefusalException(string reason) : Exception(reason);

    // ---------------------------------------------------------------- vocabulary

    private static FrozenSet<string> Set(params string[] words) => words.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Verbs that move an object somewhere ("put X in Y"); without a destination they ask where.</summary>
    private static readonly FrozenSet<string> TransferVerbs = Set(
        "put", "place", "move", "drop", "throw", "toss", "transfer", "deposit", "bring", "carry", "dump", "set",
        "stash", "store", "stick", "load", "insert", "release", "return", "shift", "relocate", "chuck", "lay");

    /// <summary>Verbs that pick an object up; with a destination they mean "take it there".</summary>
    private static readonly FrozenSet<string> PickVerbs = Set(
        "pick", "grab", "grasp", "take", "lift", "get", "hold", "fetch", "collect", "raise", "seize");

    /// <summary>Verbs that move the arm itself (above something, or home).</summary>
    private static readonly FrozenSet<string> GoVerbs = Set("go", "come", "head", "hover", "approach", "reach", "travel");

    private static readonly FrozenSet<string> GripperVerbs = Set("open", "close", "shut");

    /// <summary>"stack A on B"; "stack A, B and C" is a tower.</summary>
    private static readonly FrozenSet<string> StackVerbs = Set("stack", "pile");

    /// <summary>"build a tower of A, B and C".</summary>
    private static readonly FrozenSet<string> BuildVerbs = Set("build", "make", "create", "form", "assemble", "erect");

    private static readonly FrozenSet<string> TowerNouns = Set("tower", "stack", "pile");

    /// <summary>"sort the cubes by colour into the matching bins".</summary>
    private static readonly FrozenSet<string> SortVerbs = Set("sort", "organise", "organize");

    /// <summary>"clear the table into the bin".</summary>
    private static readonly FrozenSet<string> ClearVerbs = Set("clear", "tidy", "clean");

    private static readonly FrozenSet<string> TableNouns = Set("table", "tabletop", "desk", "workspace", "surface", "everything");

    /// <summary>Words of a sort instruction after its objects ("by colour into the matching bins").</summary>
    private static readonly FrozenSet<string> SortWords = Set(
        "by", "colour", "color", "colours", "colors", "into", "in", "to", "according", "per", "matching", "match", "their", "same",
        "respective", "corresponding", "coloured", "colored", "with", "its", "each");

    /// <summary>Prepositions that put something inside a container (never on top of an object).</summary>
    private static readonly FrozenSet<string> IntoPrepositions = Set("in", "into", "inside", "within");

    /// <summary>Prepositions that may stand an object on another.</summary>
    private static readonly FrozenSet<string> OnPrepositions = Set("on", "onto");

    private static readonly FrozenDictionary<string, int> Numbers = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["2"] = 2, ["3"] = 3, ["4"] = 4, ["5"] = 5, ["6"] = 6,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>More than one, as many as match.</summary>
    private static readonly FrozenSet<string> Several = Set("several", "some", "multiple");

    /// <summary>Verbs that, without a destination, just let go of the held object.</summary>
    private static readonly FrozenSet<string> LetGoVerbs = Set("drop", "release");

    private static readonly FrozenSet<string> Separators = Set("and", "then", ",");

    /// <summary>Politeness and framing at the start of a clause: "can you", "I want you to", "let's", "please".</summary>
    private static readonly FrozenSet<string> Prefixes = Set(
        "can", "could", "would", "will", "you", "i", "want", "wanna", "like", "id", "lets", "let", "us", "need", "we", "to", "try", "and", "then");

    private static readonly FrozenSet<string> Fillers = Set(
        "the", "a", "an", "please", "kindly", "now", "carefully", "gently", "slowly", "quickly", "just", "also",
        "robot", "arm", "your", "my", "ok", "okay", "hey", "for", "me", "of", "again", "too", "right", "away", "so");

    /// <summary>Verb particles that carry no meaning here: "pick up", "put down", "put back".</summary>
    private static readonly FrozenSet<string> Particles = Set("up", "down", "back", "out", "off");

    /// <summary>Prepositions that introduce a destination.</summary>
    private static readonly FrozenSet<string> TargetPrepositions = Set(
        "in", "into", "inside", "within", "to", "onto", "on", "over", "above", "towards", "toward");

    private static readonly FrozenSet<string> HomeWords = Set(
        "home", "go", "move", "return", "head", "come", "get", "travel", "to", "towards", "toward", "position", "pose", "posture", "start", "starting", "its");

    private static readonly FrozenSet<string> GripperNouns = Set("gripper", "grippers", "hand", "claw", "fingers", "finger", "jaws", "jaw", "grip");

    private static readonly FrozenSet<string> Pronouns = Set("it", "them", "this", "that");

    private static readonly FrozenSet<string> Quantifiers = Set("all", "every", "each", "both", "everything", "these", "those");

    private static readonly FrozenSet<string> KnownColours = Set(
        "red", "green", "blue", "yellow", "orange", "purple", "violet", "pink", "black", "white", "gray", "grey",
        "brown", "cyan", "magenta", "gold", "silver", "teal", "turquoise");

    /// <summary>Nouns for graspable cubes; "box" means a cube only when it is what is being moved.</summary>
    private static readonly FrozenSet<string> CubeNouns = Set("cube", "block", "box");

    /// <summary>Nouns that match any graspable object.</summary>
    private static readonly FrozenSet<string> AnyObjectNouns = Set("object", "thing", "item", "piece", "one", "everything");

    /// <summary>Nouns for containers ("box" joins them when it is the destination).</summary>
    private static readonly FrozenSet<string> ContainerNouns = Set("bin", "container", "basket", "bucket", "crate", "tray", "box");

    private static readonly FrozenDictionary<string, string> Singulars = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cubes"] = "cube", ["blocks"] = "block", ["boxes"] = "box", ["objects"] = "object", ["things"] = "thing",
        ["items"] = "item", ["pieces"] = "piece", ["ones"] = "one", ["bins"] = "bin", ["containers"] = "container",
        ["baskets"] = "basket", ["buckets"] = "bucket", ["crates"] = "crate", ["trays"] = "tray",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private const string Abilities =
        "I can put objects into a container, stack one object on another, build a tower, sort cubes into bins of their colour, " +
        "clear the table into a container, pick an object up, move above something, go home, and open or close the gripper";

    // ---------------------------------------------------------------- parsing

    /// <summary>A noun phrase: "the red cube", "red and blue blocks", "it", "all cubes", "red_cube".</summary>
    private sealed class Group
    {
        public List<string> Colours { get; } = [];
        public string? Noun { get; set; }
        public bool Plural { get; set; }
        public bool All { get; set; }
        /// <summary>"two cubes": exactly this many.</summary>
        public int? Count { get; set; }
        /// <summary>"several cubes": at least two.</summary>
        public bool Several { get; set; }
        public string? Pronoun { get; set; }
        public SceneObject? Named { get; set; }
        public List<string> Unknown { get; } = [];
        public bool IsEmpty => Colours.Count == 0 && Noun is null && !All && Count is null && !Several && Pronoun is null && Named is null && Unknown.Count == 0;
        public bool Many => All || Plural || Several || Count is > 1;
    }

    private sealed class Parser(string text, SceneSnapshot scene)
    {
        private readonly SceneSnapshot _scene = scene;
        private readonly List<SceneObject> _objects = scene.Objects.IsDefault ? [] : [.. scene.Objects];
        private readonly List<SkillInvocation> _steps = [];
        public bool LearnedTransfer { get; init; }
        public Func<string, bool>? AvoidLearned { get; init; }
        private SceneObject? _held;
        private List<SceneObject> _lastMentioned = [];
        private readonly List<Relation> _goal = [];

        /// <summary>The relations the instruction asks for, the last word about each object counting; null when none.</summary>
        public TaskGoal? Goal => _goal.Count == 0 ? null : new TaskGoal([.. _goal]);

        private IEnumerable<SceneObject> Graspables => _objects.Where(o => !o.IsContainer);
        private IEnumerable<SceneObject> Containers => _objects.Where(o => o.IsContainer);

        public Plan Run()
        {
            if (string.IsNullOrWhiteSpace(text))
                throw new RefusalException("the instruction is empty; tell me what to do, e.g. 'put the red cube in the bin'");

            var tokens = Tokenize(text);
            var clauses = SplitClauses(tokens);
            foreach (var clause in clauses) ParseClause(clause);

            if (_steps.Count == 0)
                throw new RefusalException($"I don't understand '{text.Trim()}'; {Abilities}");
            return new Plan([.. _steps]);
        }

        // ---- tokens

        private List<string> Tokenize(string s)
        {
            var sb = new StringBuilder(s.Length + 8);
            foreach (var ch in s.ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(ch) || ch == '_') sb.Append(ch);
                else if (ch is '\'' or '\u2019') continue; // "let's" -> "lets", "i'd" -> "id"
                else if (ch is ',' or ';' or '.' or ':' or '!' or '?') sb.Append(" , ");
                else sb.Append(' ');
            }

            var raw = new List<string>();
            foreach (var word in sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                // "red_cube" is a scene name; an unknown "yellow_cube" is read as "yellow cube".
                if (word.Contains('_') && FindByName(word) is null)
                    raw.AddRange(word.Split('_', StringSplitOptions.RemoveEmptyEntries));
                else raw.Add(word);
            }

            var tokens = new List<string>(raw.Count);
            for (int i = 0; i < raw.Count; i++)
            {
                string Next(int k) => i + k < raw.Count ? raw[i + k] : "";
                if (raw[i] == "on" && Next(1) == "top" && Next(2) == "of") { tokens.Add("onto"); i += 2; }
                else if (raw[i] == "in" && Next(1) == "to") { tokens.Add("into"); i += 1; }
                else if (raw[i] == "inside" && Next(1) == "of") { tokens.Add("into"); i += 1; }
                else if (raw[i] == "let" && Next(1) == "go") { tokens.Add("release"); i += 1; if (Next(1) == "of") i += 1; }
                else if (!Fillers.Contains(raw[i])) tokens.Add(raw[i]);
            }
            return tokens;
        }

        private static bool IsVerb(string w) =>
            TransferVerbs.Contains(w) || PickVerbs.Contains(w) || GoVerbs.Contains(w) || GripperVerbs.Contains(w) ||
            StackVerbs.Contains(w) || BuildVerbs.Contains(w) || SortVerbs.Contains(w) || ClearVerbs.Contains(w);

        /// <summary>Splits at "and" / "then" / "," when a new verb follows ("pick up X and drop it in Y"); keeps lists ("red and blue cubes").</summary>
        private static List<List<string>> SplitClauses(List<string> tokens)
        {
            var clauses = new List<List<string>>();
            var current = new List<string>();
            for (int i = 0; i < tokens.Count; i++)
            {
                var t = tokens[i];
                if (Separators.Contains(t))
                {
                    int j = i;
                    while (j < tokens.Count && (Separators.Contains(tokens[j]) || Prefixes.Contains(tokens[j]))) j++;
                    bool newClause = j >= tokens.Count || IsVerb(tokens[j]) || tokens[j] == "home";
                    if (newClause)
                    {
                        if (current.Count > 0) clauses.Add(current);
                        current = [];
                        i = j - 1;
                        continue;
                    }
                    if (t != "then") current.Add(t);
                    continue;
                }
                current.Add(t);
            }
            if (current.Count > 0) clauses.Add(current);
            return clauses;
        }

        // ---- clauses

        private void ParseClause(List<string> clause)
        {
            int start = 0;
            while (start < clause.Count && Prefixes.Contains(clause[start])) start++;
            var tokens = clause.Skip(start).Where(t => t != ",").ToList();
            if (tokens.Count == 0) return;

            if (tokens.Contains("home") && tokens.All(t => HomeWords.Contains(t) || Particles.Contains(t)))
            {
                _steps.Add(SkillInvocation.Of(SkillNames.MoveHome));
                return;
            }

            var verb = tokens[0];
            var rest = tokens.Skip(1).Where(t => !Particles.Contains(t)).ToList();

            if (GripperVerbs.Contains(verb)) { Gripper(verb, rest); return; }
            if (StackVerbs.Contains(verb)) { StackClause(verb, rest); return; }
            if (BuildVerbs.Contains(verb)) { Build(verb, rest); return; }
            if (SortVerbs.Contains(verb)) { Sort(verb, rest); return; }
            if (ClearVerbs.Contains(verb)) { Clear(verb, rest); return; }
            if (TransferVerbs.Contains(verb) || PickVerbs.Contains(verb) || GoVerbs.Contains(verb)) { Action(verb, rest); return; }

            if (IsVocabulary(verb))
            {
                // No verb, e.g. "red cube in bin": read as "put".
                if (tokens.Any(TargetPrepositions.Contains)) { Action("put", tokens.Where(t => !Particles.Contains(t)).ToList()); return; }
                throw new RefusalException($"what should I do with '{string.Join(' ', tokens)}'? e.g. 'put the red cube in the bin'; {Abilities}");
            }
            throw new RefusalException($"I don't know how to '{verb}'; {Abilities}");
        }

        private bool IsVocabulary(string w) =>
            IsColour(w) || IsNounWord(w) || Pronouns.Contains(w) || Quantifiers.Contains(w) || TargetPrepositions.Contains(w) || FindByName(w) is not null;

        private void Gripper(string verb, List<string> rest)
        {
            var extra = rest.Where(t => !GripperNouns.Contains(t)).ToList();
            if (extra.Count > 0)
                throw new RefusalException($"I can only {verb} the gripper, not '{string.Join(' ', extra)}'");
            if (verb == "open")
            {
                _steps.Add(SkillInvocation.Of(SkillNames.OpenGripper));
                _held = null;
                _goal.RemoveAll(r => r is Relation.Lifted); // let go: nothing stays lifted
            }
            else _steps.Add(SkillInvocation.Of(SkillNames.CloseGripper));
        }

        private void Action(string verb, List<string> rest)
        {
            int prep = rest.FindIndex(TargetPrepositions.Contains);
            var objectPhrase = prep < 0 ? rest : rest[..prep];
            var targetPhrase = prep < 0 ? null : rest[(prep + 1)..];

            // "release it" / "drop the gripper" / "release": just let go.
            if (LetGoVerbs.Contains(verb) && targetPhrase is null && objectPhrase.All(t => GripperNouns.Contains(t) || Pronouns.Contains(t)))
            {
                LetGo(verb);
                return;
            }

            if (GoVerbs.Contains(verb) || (verb == "move" && objectPhrase.Count == 0))
            {
                // "go to the bin", "move above the red cube", "hover over the green block", "approach the blue cube".
                if (objectPhrase.Count > 0 && targetPhrase is not null)
                    throw new RefusalException($"I can only {verb} to one place; to move an object say e.g. 'put the red cube in the bin'");
                var where = targetPhrase ?? objectPhrase;
                if (where.Count == 0) throw new RefusalException($"{verb} where? present: {Names(_objects)}");
                var target = ResolveAny(where);
                _steps.Add(SkillInvocation.Of(SkillNames.MoveAbove, target.Name));
                return;
            }

            if (objectPhrase.Count == 0)
                throw new RefusalException(targetPhrase is null
                    ? $"what should I {verb}? present: {Names(Graspables)}"
                    : $"what should I {verb} there? present: {Names(Graspables)}");

            if (targetPhrase is not null) CheckDestination(verb, rest[prep], targetPhrase, objectPhrase);
            var objects = ResolveObjects(objectPhrase);

            if (targetPhrase is null)
            {
                if (PickVerbs.Contains(verb))
                {
                    if (objects.Count > 1)
                        throw new RefusalException($"I can only hold one object at a time; say where to put them, e.g. 'put the {Describe(objects[0])} in the bin'");
                    Pick(objects[0]);
                    return;
                }
                if (LetGoVerbs.Contains(verb) && _held is not null && objects.Count == 1 && SameObject(objects[0], _held))
                {
                    LetGo(verb);
                    return;
                }
                var container = Containers.FirstOrDefault()?.Name ?? "bin";
                throw new RefusalException($"where should I {verb} {Names(objects)}? e.g. '{verb} the {Describe(objects[0])} into the {container}'");
            }

            // "on the blue cube": stand it on that object; "on the bin" still means into the bin.
            if (OnPrepositions.Contains(rest[prep]) && ResolveBase(targetPhrase) is { } baseObject)
            {
                if (objects.Count > 1)
                    throw new RefusalException($"I can only stand one object on {baseObject.Name}; to stack several say e.g. 'build a tower of the {Describe(baseObject)}, {string.Join(", ", objects.Select(Describe))}'");
                Stack(objects[0], baseObject);
                return;
            }
            var destination = ResolveContainer(targetPhrase);
            foreach (var o in TopsFirst(objects)) Transfer(o, destination);
        }

        /// <summary>
        /// Refuses, before the objects are resolved, a destination that cannot be: two places at once ("in the bin and on
        /// the blue cube"), the object itself, or something that is not a container after "in".
        /// </summary>
        private void CheckDestination(string verb, string preposition, List<string> target, List<string> objectPhrase)
        {
            var objectsText = objectPhrase.Count == 0 ? "it" : string.Join(' ', objectPhrase.Where(t => !Pronouns.Contains(t) || objectPhrase.Count == 1));
            // "in the bin and on the blue cube": one object, two final places.
            int second = -1;
            for (int i = 1; i < target.Count; i++)
                if (target[i - 1] is "and" or "," && TargetPrepositions.Contains(target[i])) { second = i; break; }
            if (second > 0)
            {
                var first = string.Join(' ', target[..(second - 1)]);
                var other = string.Join(' ', target[(second + 1)..]);
                throw new RefusalException($"that contradicts itself: the {objectsText} cannot end both {preposition} the {first} and {target[second]} the {other}; ask for one place");
            }
            if (target.Count == 1 && target[0] is "itself" or "themselves")
                throw new RefusalException($"I can't {verb} the {objectsText} {preposition} itself");
            if (!IntoPrepositions.Contains(preposition)) return;
            var groups = ParseGroups(target);
            if (groups.Count != 1 || groups[0] is not { Named: null, Noun: { } noun } g || IsContainerNoun(g, noun) || FindByName(noun) is not null) return;
            if (!CubeNouns.Contains(noun) && !AnyObjectNouns.Contains(noun) && !_objects.Any(o => !o.IsContainer && KindMatches(o, noun))) return;
            var containers = Containers.ToList();
            var into = containers.Count == 0 ? "there are no containers in the scene" : $"I can only put things into: {Names(containers)}";
            var matches = Graspables.Where(o => KindMatches(o, noun) && (g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c)))).ToList();
            throw new RefusalException(matches.Count == 1 ? $"{matches[0].Name} is not a container; {into}" : $"a {noun} is not a container; {into}");
        }

        /// <summary>The object a phrase after "on" names when it is one graspable object (to stand another on); null for a container or no match.</summary>
        private SceneObject? ResolveBase(List<string> phrase)
        {
            var groups = ParseGroups(phrase);
            if (groups.Count != 1) return null;
            var g = groups[0];
            if (g.Named is { } named) return named.IsContainer ? null : named;
            if (g.Noun is { } noun && (IsContainerNoun(g, noun) || FindByName(noun) is { IsContainer: true })) return null;
            if (g.Colours.Count == 0 && g.Noun is { } exact && FindByName(exact) is { } byName) return byName.IsContainer ? null : byName;
            var candidates = Graspables.Where(o => KindMatches(o, g.Noun) && (g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c)))).ToList();
            if (candidates.Count == 0) return null;
            if (g.Noun is null && g.Colours.Count == 0) return null;
            if (candidates.Count > 1) throw new RefusalException($"on which {NounText(g.Noun, false)}? present: {Names(candidates)}");
            return candidates[0];
        }

        // ---- stacking, towers, sorting, clearing

        /// <summary>"stack A on B"; "stack A, B and C" (no base) is a tower, A at the bottom.</summary>
        private void StackClause(string verb, List<string> rest)
        {
            int prep = rest.FindIndex(TargetPrepositions.Contains);
            var objectPhrase = prep < 0 ? rest : rest[..prep];
            var targetPhrase = prep < 0 ? null : rest[(prep + 1)..];
            if (objectPhrase.Count == 0) throw new RefusalException($"what should I {verb}? present: {Names(Graspables)}");
            if (targetPhrase is null)
            {
                var tower = ResolveObjects(objectPhrase, verb, distinct: false);
                if (tower.Count < 2)
                    throw new RefusalException($"{verb} {tower[0].Name} on what? e.g. '{verb} the {Describe(tower[0])} on the {Graspables.Where(o => !SameObject(o, tower[0])).Select(Describe).FirstOrDefault() ?? "other cube"}'");
                Tower(tower);
                return;
            }
            CheckDestination(verb, rest[prep], targetPhrase, objectPhrase);
            var objects = ResolveObjects(objectPhrase, verb);
            if (ResolveBase(targetPhrase) is not { } baseObject)
            {
                var groups = ParseGroups(targetPhrase);
                var container = groups.Count == 1 ? (groups[0].Named ?? (groups[0].Noun is { } n ? FindByName(n) ?? Containers.FirstOrDefault(c => IsContainerNoun(groups[0], n)) : null)) : null;
                if (container is { IsContainer: true })
                    throw new RefusalException($"I can't {verb} anything on {container.Name}: it is a container; say e.g. 'put the {Describe(objects[0])} in the {container.Name}'");
                var single = new Group { Noun = groups.Count == 1 ? groups[0].Noun : null };
                if (groups.Count == 1) single.Colours.AddRange(groups[0].Colours);
                throw new RefusalException(groups.Count != 1
                    ? $"I can only {verb} onto one object; present: {Names(Graspables)}"
                    : $"there is no {(single.Colours.Count == 0 ? NounText(single.Noun, false) : $"{string.Join(' ', single.Colours)} {NounText(single.Noun, false)}")} to {verb} on; present: {Names(Graspables)}");
            }
            if (objects.Count > 1)
                throw new RefusalException($"I can only {verb} one object on {baseObject.Name}; to stack several say e.g. 'build a tower of the {Describe(baseObject)}, {string.Join(", ", objects.Select(Describe))}'");
            Stack(objects[0], baseObject);
        }

        /// <summary>"build a tower of A, B and C": A at the bottom, B on A, C on B.</summary>
        private void Build(string verb, List<string> rest)
        {
            if (rest.Count == 0 || !TowerNouns.Contains(Singular(rest[0])))
                throw new RefusalException($"I can only {verb} a tower, e.g. '{verb} a tower of the red, green and blue cubes'; {Abilities}");
            var phrase = rest.Skip(1).SkipWhile(t => t is "with" or "from" or "using" or "out").ToList();
            if (phrase.Count == 0) throw new RefusalException($"a tower of what? present: {Names(Graspables)}");
            var tower = ResolveObjects(phrase, "stack", distinct: false);
            if (tower.Count < 2) throw new RefusalException($"a tower needs at least two objects; present: {Names(Graspables)}");
            Tower(tower);
        }

        private void Tower(List<SceneObject> tower)
        {
            var twice = tower.GroupBy(o => o.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null) throw new RefusalException($"a tower uses each object once, but {twice.Key} is named twice");
            for (int i = 1; i < tower.Count; i++) Stack(tower[i], tower[i - 1]);
        }

        /// <summary>Picks <paramref name="o"/> (unless held) and stands it on <paramref name="baseObject"/>.</summary>
        private void Stack(SceneObject o, SceneObject baseObject)
        {
            if (SameObject(o, baseObject)) throw new RefusalException($"I can't stack {o.Name} on itself");
            if (baseObject.IsContainer) throw new RefusalException($"I can't stack anything on {baseObject.Name}: it is a container");
            if (_goal.OfType<Relation.On>().FirstOrDefault(r => SameName(r.Object, baseObject.Name) && SameName(r.Base, o.Name)) is { } cycle)
                throw new RefusalException($"that contradicts itself: {baseObject.Name} is to stand on {o.Name}, so {o.Name} cannot stand on {baseObject.Name}");
            if (_goal.OfType<Relation.On>().FirstOrDefault(r => SameName(r.Base, baseObject.Name) && !SameName(r.Object, o.Name)) is { } taken)
                throw new RefusalException($"only one object fits on {baseObject.Name}, and {taken.Object} is to stand there");
            if (_held is null || !SameObject(_held, o)) Pick(o);
            _steps.Add(SkillInvocation.Of(SkillNames.Stack, o.Name, baseObject.Name));
            _held = null;
            Ends(o, new Relation.On(o.Name, baseObject.Name));
        }

        /// <summary>"sort the cubes by colour into the matching bins": each into the one container of its colour.</summary>
        private void Sort(string verb, List<string> rest)
        {
            int end = rest.FindIndex(t => SortWords.Contains(t) && t is not ("coloured" or "colored"));
            var objectPhrase = end < 0 ? rest : rest[..end];
            var objects = objectPhrase.Count == 0 ? Graspables.ToList() : ResolveObjects(objectPhrase, verb);
            var containers = Containers.ToList();
            if (containers.Count == 0) throw new RefusalException($"there are no containers to {verb} into");
            if (objects.Count == 0) throw new RefusalException($"there is nothing to {verb}; present: {Names(_objects)}");
            string Bins() => string.Join(", ", containers.Select(c => c.Color is null ? $"{c.Name} (no colour)" : $"{c.Name} ({c.Color})"));
            var moves = new List<(SceneObject Object, SceneObject Container)>();
            foreach (var o in objects)
            {
                if (o.Color is null) throw new RefusalException($"I can't {verb} {o.Name} by colour: it has no colour; containers: {Bins()}");
                var matching = containers.Where(c => c.Color is not null && ColourMatches(c, o.Color)).ToList();
                if (matching.Count == 0) throw new RefusalException($"no container matches {o.Name}'s colour ({o.Color}); containers: {Bins()}");
                if (matching.Count > 1) throw new RefusalException($"several containers are {o.Color} ({Names(matching)}); I don't know which one {o.Name} goes into");
                moves.Add((o, matching[0]));
            }
            foreach (var o in TopsFirst(moves.Select(m => m.Object).ToList()))
            {
                var c = moves.First(m => SameObject(m.Object, o)).Container;
                if (_scene.IsInside(o.Name, c.Name) && !SameObject(_held ?? c, o)) { Ends(o, new Relation.In(o.Name, c.Name)); continue; } // already sorted
                Transfer(o, c);
            }
        }

        /// <summary>"clear the table into the bin": every object not already in a container goes into it.</summary>
        private void Clear(string verb, List<string> rest)
        {
            int prep = rest.FindIndex(TargetPrepositions.Contains);
            var what = prep < 0 ? rest : rest[..prep];
            if (what.Count == 0 || !what.All(t => TableNouns.Contains(t) || t is "up" or "off"))
                throw new RefusalException($"I can only {verb} the table, e.g. '{verb} the table into the {Containers.FirstOrDefault()?.Name ?? "bin"}'");
            var containers = Containers.ToList();
            SceneObject destination;
            if (prep >= 0) destination = ResolveContainer(rest[(prep + 1)..]);
            else if (containers.Count == 1) destination = containers[0];
            else throw new RefusalException(containers.Count == 0 ? "there are no containers to clear the table into" : $"into which container? containers: {Names(containers)}");
            var loose = Graspables.Where(o => !containers.Any(c => _scene.IsInside(o.Name, c.Name))).ToList();
            if (loose.Count == 0) throw new RefusalException($"the table is already clear; every object is in a container");
            foreach (var o in TopsFirst(loose)) Transfer(o, destination);
        }

        /// <summary>Orders objects so that one resting on another is moved before it (its base is not clear until then).</summary>
        private static List<SceneObject> TopsFirst(List<SceneObject> objects)
        {
            var left = new List<SceneObject>(objects);
            var ordered = new List<SceneObject>(objects.Count);
            while (left.Count > 0)
            {
                var next = left.FirstOrDefault(b => !left.Any(t => !ReferenceEquals(t, b) && Relation.IsOn(t, b))) ?? left[0];
                ordered.Add(next);
                left.Remove(next);
            }
            return ordered;
        }

        /// <summary>
        /// Records that <paramref name="o"/> must end as <paramref name="relation"/> says: it replaces "lifted" (pick, then put),
        /// and two different places for one object are a contradiction.
        /// </summary>
        private void Ends(SceneObject o, Relation relation)
        {
            var earlier = _goal.FirstOrDefault(r => r is not Relation.Lifted && SameName(r.Objects[0], o.Name));
            if (earlier is not null && earlier != relation)
                throw new RefusalException($"that contradicts itself: {o.Name} cannot end both {Where(earlier)} and {Where(relation)}");
            _goal.RemoveAll(r => SameName(r.Objects[0], o.Name));
            _goal.Add(relation);
        }

        private static string Where(Relation r) => r switch
        {
            Relation.In i => $"in {i.Container}",
            Relation.On on => $"on {on.Base}",
            _ => r.ToString(),
        };

        private static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

        private void LetGo(string verb)
        {
            // At the start of an instruction the arm may hold something from before; later we know it is empty-handed.
            if (_held is null && _steps.Count > 0)
                throw new RefusalException($"I'm not holding anything to {verb}");
            _steps.Add(SkillInvocation.Of(SkillNames.OpenGripper));
            _held = null;
            _goal.RemoveAll(r => r is Relation.Lifted);
        }

        private void Pick(SceneObject o)
        {
            if (_held is not null)
            {
                if (SameObject(_held, o)) return;
                throw new RefusalException($"I'm already holding {_held.Name} and can only hold one object at a time");
            }
            _steps.Add(SkillInvocation.Of(SkillNames.Pick, o.Name));
            _held = o;
            // the last word about each object counts: picking it up again asks for it lifted
            _goal.RemoveAll(r => SameName(r.Objects[0], o.Name));
            _goal.Add(new Relation.Lifted(o.Name));
        }

        private void Transfer(SceneObject o, SceneObject container)
        {
            if (SameObject(o, container)) throw new RefusalException($"I can't put {o.Name} into itself");
            var goal = new Relation.In(o.Name, container.Name);
            if (LearnedTransfer && _held is null && AvoidLearned?.Invoke(o.Name) != true)
            {
                _steps.Add(SkillInvocation.Of(SkillNames.LearnedPickPlace, o.Name, container.Name));
                Ends(o, goal);
                return;
            }
            if (_held is null || !SameObject(_held, o)) Pick(o);
            _steps.Add(SkillInvocation.Of(SkillNames.Place, o.Name, container.Name));
            _held = null;
            Ends(o, goal);
        }

        // ---- noun phrases

        private bool IsColour(string w) => KnownColours.Contains(w) || _objects.Any(o => string.Equals(o.Color, w, StringComparison.OrdinalIgnoreCase));

        private static string Singular(string w) =>
            Singulars.TryGetValue(w, out var s) ? s : w.Length > 3 && w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal) ? w[..^1] : w;

        private bool IsNounWord(string w)
        {
            var s = Singular(w);
            return CubeNouns.Contains(s) || AnyObjectNouns.Contains(s) || ContainerNouns.Contains(s) ||
                   _objects.Any(o => string.Equals(o.Kind, s, StringComparison.OrdinalIgnoreCase));
        }

        private SceneObject? FindByName(string w) =>
            _objects.FirstOrDefault(o => string.Equals(o.Name, w, StringComparison.OrdinalIgnoreCase));

        private List<Group> ParseGroups(List<string> tokens)
        {
            var groups = new List<Group>();
            var g = new Group();
            foreach (var t in tokens)
            {
                if (t is "and" or "," or "plus")
                {
                    if (!g.IsEmpty) groups.Add(g);
                    g = new Group();
                }
                else if (t.Contains('_') && FindByName(t) is { } named) g.Named = named;
                else if (Pronouns.Contains(t)) g.Pronoun = t;
                else if (Numbers.TryGetValue(t, out var n)) g.Count = n;
                else if (Several.Contains(t)) g.Several = true;
                else if (Quantifiers.Contains(t))
                {
                    g.All = true;
                    if (t == "everything") { g.Noun = "everything"; g.Plural = true; }
                }
                else if (IsColour(t)) g.Colours.Add(t);
                else if (IsNounWord(t))
                {
                    g.Noun = Singular(t);
                    g.Plural = g.Plural || Singular(t) != t;
                }
                else if (FindByName(t) is { } plain) g.Named = plain;
                else g.Unknown.Add(t);
            }
            if (!g.IsEmpty) groups.Add(g);

            // "red and blue cubes": the noun of a later group applies to earlier colour-only groups.
            for (int i = groups.Count - 2; i >= 0; i--)
            {
                if (groups[i].Noun is null && groups[i].Named is null && groups[i].Colours.Count > 0 && groups[i + 1].Noun is not null)
                {
                    groups[i].Noun = groups[i + 1].Noun;
                    groups[i].Plural = groups[i + 1].Plural;
                }
            }
            // An unknown word where a noun should be ("the yellow sphere") is taken as the noun, so it is reported as missing.
            foreach (var group in groups)
            {
                if (group.Noun is null && group.Named is null && group.Unknown.Count > 0) group.Noun = Singular(group.Unknown[^1]);
            }
            return groups;
        }

        private static bool KindMatches(SceneObject o, string? noun) =>
            noun is null || AnyObjectNouns.Contains(noun) ||
            (CubeNouns.Contains(noun) ? o.Kind == "cube" : string.Equals(o.Kind, noun, StringComparison.OrdinalIgnoreCase));

        private static bool ColourMatches(SceneObject o, string colour) =>
            string.Equals(o.Color, colour, StringComparison.OrdinalIgnoreCase) ||
            (colour is "grey" or "gray" && o.Color is { } c && (c.Equals("grey", StringComparison.OrdinalIgnoreCase) || c.Equals("gray", StringComparison.OrdinalIgnoreCase)));

        private static string NounText(string? noun, bool plural)
        {
            var n = noun is null or "everything" or "one" ? "object" : noun;
            return plural ? (n.EndsWith('x') ? n + "es" : n + "s") : n;
        }

        /// <summary>The objects to pick and move (<paramref name="verb"/> words the refusals; <paramref name="distinct"/>: an object named twice counts once).</summary>
        private List<SceneObject> ResolveObjects(List<string> phrase, string verb = "pick up", bool distinct = true)
        {
            var groups = ParseGroups(phrase);
            if (groups.Count == 0) throw new RefusalException($"which object? present: {Names(Graspables)}");

            var result = new List<SceneObject>();
            foreach (var g in groups)
            {
                if (g.Named is { } named)
                {
                    if (named.IsContainer) throw new RefusalException($"I can't {verb} {named.Name}: it is a container");
                    result.Add(named);
                    continue;
                }
                if (g.Pronoun is { } pronoun && g.Noun is null && g.Colours.Count == 0)
                {
                    if (_held is not null) result.Add(_held);
                    else if (_lastMentioned.Count > 0) result.AddRange(_lastMentioned);
                    else throw new RefusalException($"I don't know what '{pronoun}' refers to; name the object, e.g. 'the red cube'; present: {Names(Graspables)}");
                    continue;
                }
                if (g.Noun is { } noun && ContainerNouns.Contains(noun) && !CubeNouns.Contains(noun))
                    throw new RefusalException($"I can't {verb} a {noun}: it is a container");
                if (g.Noun is not null && !KindMatches(Graspables, g.Noun) && FindContainerKind(g.Noun) is not null)
                    throw new RefusalException($"I can't {verb} a {g.Noun}: it is a container");

                var matched = Match(g, Graspables.ToList(), many: g.Many, present: $"present: {Names(Graspables)}");
                var what = g.Colours.Count == 0 ? NounText(g.Noun, true) : $"{string.Join(" and ", g.Colours)} {NounText(g.Noun, true)}";
                if (g.Count is { } count)
                {
                    if (matched.Count < count) throw new RefusalException($"there are only {matched.Count} {what}, not {count}; present: {Names(Graspables)}");
                    matched = matched.Take(count).ToList();
                }
                else if (g.Several && matched.Count < 2)
                    throw new RefusalException($"there is only one {(g.Colours.Count == 0 ? NounText(g.Noun, false) : $"{string.Join(' ', g.Colours)} {NounText(g.Noun, false)}")}: {Names(matched)}");
                result.AddRange(matched);
            }

            var objects = distinct ? result.DistinctBy(o => o.Name, StringComparer.OrdinalIgnoreCase).ToList() : result;
            _lastMentioned = objects.DistinctBy(o => o.Name, StringComparer.OrdinalIgnoreCase).ToList();
            return objects;
        }

        private static bool KindMatches(IEnumerable<SceneObject> pool, string noun) => pool.Any(o => KindMatches(o, noun));

        private SceneObject? FindContainerKind(string noun) =>
            Containers.FirstOrDefault(o => string.Equals(o.Kind, noun, StringComparison.OrdinalIgnoreCase));

        /// <summary>Objects of <paramref name="pool"/> matching a noun phrase; refuses when none, or several where one was meant.</summary>
        private static List<SceneObject> Match(Group g, List<SceneObject> pool, bool many, string present)
        {
            var ofKind = pool.Where(o => KindMatches(o, g.Noun)).ToList();
            var found = new List<SceneObject>();
            var colours = g.Colours.Count > 0 ? g.Colours.Cast<string?>().ToList() : [null];
            foreach (var colour in colours)
            {
                var matches = colour is null ? ofKind : ofKind.Where(o => ColourMatches(o, colour)).ToList();
                var what = colour is null ? NounText(g.Noun, false) : $"{colour} {NounText(g.Noun, false)}";
                if (matches.Count == 0)
                {
                    throw new RefusalException(many && colour is null
                        ? $"there are no {NounText(g.Noun, true)} in the scene; {present}"
                        : $"there is no {what} in the scene; {present}");
                }
                if (matches.Count > 1 && !many)
                    throw new RefusalException($"which {what}? present: {Names(matches)}");
                found.AddRange(matches);
            }
            return found;
        }

        /// <summary>The destination: must be a container.</summary>
        private SceneObject ResolveContainer(List<string> phrase)
        {
            var containers = Containers.ToList();
            var into = containers.Count == 0 ? "there are no containers in the scene" : $"I can only put things into: {Names(containers)}";
            var groups = ParseGroups(phrase);
            if (groups.Count == 0) throw new RefusalException($"put it where? {into}");
            if (groups.Count > 1)
                throw new RefusalException($"I don't understand the destination '{string.Join(' ', phrase)}'; name one container: {Names(containers)}");
            var g = groups[0];

            SceneObject target;
            if (g.Named is { } named) target = named;
            else if (g.Pronoun is { } pronoun && g.Noun is null && g.Colours.Count == 0)
                throw new RefusalException($"I don't know what '{pronoun}' refers to; {into}");
            else if (g.Colours.Count == 0 && g.Noun is { } exact && FindByName(exact) is { } byName) target = byName;
            else if (g.Noun is { } noun && IsContainerNoun(g, noun))
            {
                if (g.All || g.Plural) throw new RefusalException($"I can only put things into one container at a time; {into}");
                var matches = containers.Where(o => g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c))).ToList();
                var what = g.Colours.Count == 0 ? noun : $"{string.Join(' ', g.Colours)} {noun}";
                if (matches.Count == 0) throw new RefusalException($"there is no {what} in the scene; {into}");
                if (matches.Count > 1) throw new RefusalException($"which {what}? containers: {Names(matches)}");
                target = matches[0];
            }
            else
            {
                var single = new Group { Noun = g.Noun };
                single.Colours.AddRange(g.Colours);
                target = Match(single, _objects, many: false, present: into)[0];
            }

            if (!target.IsContainer) throw new RefusalException($"{target.Name} is not a container; {into}");
            return target;
        }

        /// <summary>"bin", "container", "basket"... ; "box" too unless a colour makes it a cube ("the blue box" with a blue cube and no blue container).</summary>
        private bool IsContainerNoun(Group g, string noun)
        {
            if (FindContainerKind(noun) is not null) return true;
            if (!ContainerNouns.Contains(noun)) return false;
            if (noun != "box" || g.Colours.Count == 0) return true;
            bool containerHasColour = Containers.Any(o => g.Colours.Any(c => ColourMatches(o, c)));
            bool cubeHasColour = Graspables.Any(o => o.Kind == "cube" && g.Colours.Any(c => ColourMatches(o, c)));
            return containerHasColour || !cubeHasColour;
        }

        /// <summary>Anything in the scene, for "move above X".</summary>
        private SceneObject ResolveAny(List<string> phrase)
        {
            var groups = ParseGroups(phrase);
            if (groups.Count != 1) throw new RefusalException($"I can only move above one thing at a time; present: {Names(_objects)}");
            var g = groups[0];
            if (g.Named is { } named) return named;
            if (g.Pronoun is { } pronoun && g.Noun is null && g.Colours.Count == 0)
            {
                if (_lastMentioned.Count == 1) return _lastMentioned[0];
                throw new RefusalException($"I don't know what '{pronoun}' refers to; present: {Names(_objects)}");
            }
            if (g.Colours.Count == 0 && g.Noun is { } exact && FindByName(exact) is { } byName) return byName;
            if (g.Noun is { } noun && IsContainerNoun(g, noun))
            {
                var matches = Containers.Where(o => g.Colours.Count == 0 || g.Colours.Any(c => ColourMatches(o, c))).ToList();
                if (matches.Count == 1) return matches[0];
                throw new RefusalException(matches.Count == 0
                    ? $"there is no {noun} in the scene; present: {Names(_objects)}"
                    : $"which {noun}? present: {Names(matches)}");
            }
            var one = new Group { Noun = g.Noun };
            one.Colours.AddRange(g.Colours);
            var found = Match(one, Graspables.ToList(), many: false, present: $"present: {Names(_objects)}")[0];
            _lastMentioned = [found];
            return found;
        }

        private static bool SameObject(SceneObject a, SceneObject b) => string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase);

        private static string Describe(SceneObject o) =>
            o.Color is null ? o.Kind : $"{o.Color} {o.Kind}";

        private static string Names(IEnumerable<SceneObject> objects)
        {
            var names = objects.Select(o => o.Name).ToList();
            return names.Count == 0 ? "nothing" : string.Join(", ", names);
        }
    }
}
