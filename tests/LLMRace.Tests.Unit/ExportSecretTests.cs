using System.Text.Json.Nodes;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Results;
using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;

namespace LLMRace.Tests.Unit;

/// <summary>Credentials typed into a base URL are a secret: split off when saved, and never exported from an older run's
/// snapshot.</summary>
public class ExportSecretTests
{
    [Fact]
    public void A_run_raced_before_credentials_were_sealed_exports_its_urls_without_them()
    {
        var connection = new ConnectionSnapshot("conn_a", "proxy", "OPENAI_COMPAT", "http://racer:pw-SECRET-1@127.0.0.1:9000/v1", 30, 0, 1);
        var snapshot = new RunSnapshot(new SuiteSnapshot("s", "S", "c", "", []), [new CarSnapshot("car_a", "A", "m", [], connection)],
            new RunSettings());
        var run = new RunRow { Id = "run_a", SnapshotJson = RaceJson.Serialize(snapshot), SettingsJson = "{}" };

        var exported = RunExports.Json(run, [], [], DateTime.UtcNow).ToJsonString();

        Assert.DoesNotContain("pw-SECRET-1", exported);
        Assert.Contains("http://127.0.0.1:9000/v1", exported);
    }

    [Theory]
    [InlineData("http://user:pa%20ss@host:8080/v1", "http://host:8080/v1", "user:pa ss")]
    [InlineData("https://only-user@api.example.com", "https://api.example.com", "only-user")]
    [InlineData("http://127.0.0.1:11434", "http://127.0.0.1:11434", null)]
    public void Credentials_are_split_off_a_base_url(string url, string clean, string? credentials)
    {
        Assert.Equal((clean, credentials), BaseUrlCredentials.Split(url));
    }

    [Theory]
    [InlineData("http://a.example:80/x", "http://A.example/y", true)]
    [InlineData("http://a.example", "https://a.example", false)]
    [InlineData("http://a.example:8000", "http://a.example:8001", false)]
    [InlineData("http://a.example", "http://b.example", false)]
    public void An_origin_is_scheme_host_and_port(string a, string b, bool same) =>
        Assert.Equal(same, BaseUrlCredentials.Origin(a) == BaseUrlCredentials.Origin(b));
}
