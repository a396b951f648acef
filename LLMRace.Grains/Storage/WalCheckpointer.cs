using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Storage;

/// <summary>
/// Moves the write-ahead log into the database file in the background, once a second. Left to SQLite, the commit
/// that fills the log to 1,000 pages does that work (copy and fsync) itself, and when that commit is a run's event
/// batch every live subscriber waits for it. A passive checkpoint never blocks a writer.
/// </summary>
public sealed class WalCheckpointer(SqliteDatabase db, ILogger<WalCheckpointer> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var connection = await db.OpenAsync(stoppingToken);
                await using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                await checkpoint.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Checkpointing the database's write-ahead log failed; retrying in {Interval}", Interval);
            }
        }
    }
}
