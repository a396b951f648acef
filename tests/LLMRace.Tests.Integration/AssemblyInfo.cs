// Test classes run side by side: no test bounds a measured time (figures live in bench/), so a busy machine slows
// them without failing them. Most of the time is spent waiting on other processes (the AppHost, Apis started and
// killed, a dotnet publish), so more classes run at once than there are cores.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
