namespace CortexBot.Hippocampus;

/// <summary>
/// The episode store cannot be opened or cannot do what was asked. The message is meant for a person:
/// it names the file and says what was (not) done to it.
/// </summary>
public sealed class EpisodeStoreException : Exception
{
    public EpisodeStoreException(string message) : base(message) { }
    public EpisodeStoreException(string message, Exception? inner) : base(message, inner) { }
}
