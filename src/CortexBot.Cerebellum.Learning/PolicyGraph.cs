namespace CortexBot.Cerebellum.Learning;

/// <summary>The names of an exported policy graph's inputs and output: the exporter writes them, the experts bind them.</summary>
public static class PolicyGraph
{
    /// <summary>[N, O] observation in raw units.</summary>
    public const string ObservationInput = "observation";
    /// <summary>[N, H·A] flow noise.</summary>
    public const string NoiseInput = "noise";
    /// <summary>[N, H, A] action chunk in raw units.</summary>
    public const string ActionsOutput = "actions";
}
