using LLMRace.Cli;

return await LLMRaceCli.RunAsync(args, Console.Out, Console.Error);
