using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Storage;

/// <summary>
/// Copies the write-ahead log into the database file in the background, once a second, with a passive checkpoint
/// (it never blocks a writer). SQLite's own checkpoint, run by the commit that fills the log to 1,000 pages, stays:
/// under a running race only it can finish a checkpoint and rewind the log; it now finds most pages already copied,
/// so the event batch that pays for it (and every live subscriber waiting on that batch) waits less.
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
