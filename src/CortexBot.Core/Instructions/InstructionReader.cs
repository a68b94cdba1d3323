using System.Collections.Frozen;
using System.Text;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Core.Instructions;

/// <summary>
/// Reads simple pick-and-place instructions ("put the red cube in the bin", "pick up the green block and drop it into
/// the basket", "go home", "open the gripper") into skill steps grounded in the scene; anything it cannot understand
/// or ground is refused with a one-line reason. The one reader behind both the rule planner (which checks the steps
/// against the skill catalogue) and the host's success check (which takes the instruction's goal from the last step).
/// Pure and cheap: no model, no catalogue.
/// </summary>
public static class InstructionReader
{
    /// <summary>The steps <paramref name="instruction"/> asks for in <paramref name="scene"/>, or a refusal.</summary>
    /// <param name="learnedTransfer">"Put X in Y" becomes the learned pick-and-place skill instead of pick + place.</param>
    /// <param name="avoidLearned">With <paramref name="learnedTransfer"/>: objects the learned skill should not be used for.</param>
    public static PlanResult Read(string? instruction, SceneSnapshot scene, bool learnedTransfer = false, Func<string, bool>? avoidLearned = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        try
        {
            return PlanResult.Of(new Parser(instruction ?? "", scene) { LearnedTransfer = learnedTransfer, AvoidLearned = avoidLearned }.Run());
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
        "I can put an object into a container, pick an object up, move above something, go home, and open or close the gripper";

    // ---------------------------------------------------------------- parsing

    /// <summary>A noun phrase: "the red cube", "red and blue blocks", "it", "all cubes", "red_cube".</summary>
    private sealed class Group
    {
        public List<string> Colours { get; } = [];
        public string? Noun { get; set; }
        public bool Plural { get; set; }
        public bool All { get; set; }
        public string? Pronoun { get; set; }
        public SceneObject? Named { get; set; }
        public List<string> Unknown { get; } = [];
        public bool IsEmpty => Colours.Count == 0 && Noun is null && !All && Pronoun is null && Named is null && Unknown.Count == 0;
    }

    private sealed class Parser(string text, SceneSnapshot scene)
    {
        private readonly List<SceneObject> _objects = scene.Objects.IsDefault ? [] : [.. scene.Objects];
        private readonly List<SkillInvocation> _steps = [];
        public bool LearnedTransfer { get; init; }
        public Func<string, bool>? AvoidLearned { get; init; }
        private SceneObject? _held;
        private List<SceneObject> _lastMentioned = [];

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
            TransferVerbs.Contains(w) || PickVerbs.Contains(w) || GoVerbs.Contains(w) || GripperVerbs.Contains(w);

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
                _steps.Add(SkillInvocation.Of("move_home"));
                return;
            }

            var verb = tokens[0];
            var rest = tokens.Skip(1).Where(t => !Particles.Contains(t)).ToList();

            if (GripperVerbs.Contains(verb)) { Gripper(verb, rest); return; }
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
                _steps.Add(SkillInvocation.Of("open_gripper"));
                _held = null;
            }
            else _steps.Add(SkillInvocation.Of("close_gripper"));
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
                _steps.Add(SkillInvocation.Of("move_above", target.Name));
                return;
            }

            if (objectPhrase.Count == 0)
                throw new RefusalException(targetPhrase is null
                    ? $"what should I {verb}? present: {Names(Graspables)}"
                    : $"what should I {verb} there? present: {Names(Graspables)}");

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

            var destination = ResolveContainer(targetPhrase);
            foreach (var o in objects) Transfer(o, destination);
        }

        private void LetGo(string verb)
        {
            // At the start of an instruction the arm may hold something from before; later we know it is empty-handed.
            if (_held is null && _steps.Count > 0)
                throw new RefusalException($"I'm not holding anything to {verb}");
            _steps.Add(SkillInvocation.Of("open_gripper"));
            _held = null;
        }

        private void Pick(SceneObject o)
        {
            if (_held is not null)
            {
                if (SameObject(_held, o)) return;
                throw new RefusalException($"I'm already holding {_held.Name} and can only hold one object at a time");
            }
            _steps.Add(SkillInvocation.Of("pick", o.Name));
            _held = o;
        }

        private void Transfer(SceneObject o, SceneObject container)
        {
            if (SameObject(o, container)) throw new RefusalException($"I can't put {o.Name} into itself");
            if (LearnedTransfer && _held is null && AvoidLearned?.Invoke(o.Name) != true)
            {
                _steps.Add(SkillInvocation.Of(SkillNames.LearnedPickPlace, o.Name, container.Name));
                return;
            }
            if (_held is null || !SameObject(_held, o)) Pick(o);
            _steps.Add(SkillInvocation.Of("place", o.Name, container.Name));
            _held = null;
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

        /// <summary>The objects to pick and move.</summary>
        private List<SceneObject> ResolveObjects(List<string> phrase)
        {
            var groups = ParseGroups(phrase);
            if (groups.Count == 0) throw new RefusalException($"which object? present: {Names(Graspables)}");

            var result = new List<SceneObject>();
            foreach (var g in groups)
            {
                if (g.Named is { } named)
                {
                    if (named.IsContainer) throw new RefusalException($"I can't pick up {named.Name}: it is a container");
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
                    throw new RefusalException($"I can't pick up a {noun}: it is a container");
                if (g.Noun is not null && !KindMatches(Graspables, g.Noun) && FindContainerKind(g.Noun) is not null)
                    throw new RefusalException($"I can't pick up a {g.Noun}: it is a container");

                result.AddRange(Match(g, Graspables.ToList(), many: g.All || g.Plural, present: $"present: {Names(Graspables)}"));
            }

            var distinct = result.DistinctBy(o => o.Name, StringComparer.OrdinalIgnoreCase).ToList();
            _lastMentioned = distinct;
            return distinct;
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
