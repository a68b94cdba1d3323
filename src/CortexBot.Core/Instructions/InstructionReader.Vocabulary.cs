using System.Collections.Frozen;

namespace CortexBot.Core.Instructions;

/// <summary>The words the reader knows: verbs, nouns, prepositions, numbers and the filler it skips.</summary>
public static partial class InstructionReader
{
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
}
