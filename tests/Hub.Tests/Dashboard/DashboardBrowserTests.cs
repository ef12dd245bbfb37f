using System.Buffers.Binary;
using System.Globalization;
using Hl7.Fhir.Model;
using Hub.Mappers.Kpis;
using Hub.Tests.Kpis;
using Microsoft.Playwright;

namespace Hub.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (issue 6 part 2): Debian's headless Chromium driven by Playwright, never a browser
/// Playwright downloads. It signs in through /dashboard/login, reads the KPI figures out of the DOM and holds them against
/// the MeasureReports, walks the form by keyboard, checks the print layout, and keeps a screenshot.
/// </summary>
[Collection("kpi-sqlite")]
public sealed class DashboardBrowserTests(SqliteKpiHub fixture) : IClassFixture<SqliteKpiHub>
{
    public const string Chromium = "/usr/bin/chromium";
    const int Width = 1280, Height = 900;
    const string Period = "2025-04-01/2026-03-31";

    static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        // A missing browser is a broken machine, not a reason to skip: .ci/run installs Debian's chromium.
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Tests run as root, where Chromium's sandbox cannot start; /dev/shm is small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    static string PercentText(Quantity score) => score?.Value is { } v
        ? Math.Round(v * 100, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "not shown";

    static string CountText(int? n) => n is { } v ? v.ToString("#,0", CultureInfo.InvariantCulture) : "fewer than 5 or withheld";

    [Fact]
    public async Task an_icb_signs_in_and_sees_the_measure_reports_figures_in_chromium()
    {
        var hub = fixture.Hub;
        var kpi = await hub.AsAsync(KpiHub.Icb, "icb", purpose: "kpi");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = Width, Height = Height } });
        var page = await context.NewPageAsync();

        var next = $"/dashboard?subject={KpiHub.Icb}&period={Period}";
        var response = await page.GotoAsync($"{hub.BaseUrl}/dashboard/login?org={KpiHub.Icb}&org_type=icb&next={Uri.EscapeDataString(next)}");
        Assert.NotNull(response);
        Assert.Equal(200, response!.Status);
        Assert.Equal(hub.BaseUrl + next, page.Url);
        Assert.Equal("NHS Lancashire and South Cumbria Integrated Care Board (QE1): health KPIs for looked-after children, April 2025 to March 2026 – CareHub",
            await page.TitleAsync());
        // The token lives in an HttpOnly cookie: the page's own script could not read it.
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "carehub_token");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("", await page.EvaluateAsync<string>("document.cookie"));

        foreach (var measure in Measures.All)
        {
            var answer = await kpi.GetAsync($"fhir/Measure/{measure}/$evaluate-measure?periodStart=2025-04-01&periodEnd=2026-03-31&subject=Organization/{KpiHub.Icb}");
            Assert.True(answer.Status == 200, answer.ToString());
            var group = answer.As<MeasureReport>().Group[0];
            async Task<string> Cell(string stratum, string field) =>
                (await page.Locator($"td[data-kpi='{measure}'][data-stratum='{stratum}'][data-field='{field}']:not([data-month])").InnerTextAsync()).Trim();
            Assert.Equal(PercentText(group.MeasureScore), await Cell("all", "percent"));
            Assert.Equal(CountText(group.Population.Single(p => p.Code.Coding[0].Code == "numerator").Count), await Cell("all", "numerator"));
            Assert.Equal(CountText(group.Population.Single(p => p.Code.Coding[0].Code == "denominator").Count), await Cell("all", "denominator"));
            foreach (var stratum in group.Stratifier.Single().Stratum)
            {
                var code = stratum.Value.Coding[0].Code;
                Assert.Equal(PercentText(stratum.MeasureScore), await Cell(code, "percent"));
                Assert.Equal(CountText(stratum.Population.Single(p => p.Code.Coding[0].Code == "denominator").Count), await Cell(code, "denominator"));
            }
            // The chart says the same as the table, to the screen reader too.
            var description = await page.Locator($"#bars-{measure}-d").TextContentAsync();
            Assert.Contains($"All children {PercentText(group.MeasureScore)}", description);
        }
        Assert.Equal(7, await page.Locator("svg[role='img']").CountAsync());
        Assert.True(await page.Locator("#trend-iha-20-working-days-t").CountAsync() == 1);

        // Keyboard: the skip link first, then the form's controls, in order.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to the figures", await page.EvaluateAsync<string>("document.activeElement.textContent"));
        Assert.True(await page.Locator("a.skip").IsVisibleAsync(), "the skip link shows when it has focus");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("subject-input", await page.EvaluateAsync<string>("document.activeElement.id"));
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("period-input", await page.EvaluateAsync<string>("document.activeElement.id"));
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("BUTTON", await page.EvaluateAsync<string>("document.activeElement.tagName"));
        // Submitting the form by keyboard shows the chosen year.
        await page.Locator("#period-input").SelectOptionAsync("2024-04-01/2025-03-31");
        await page.Locator("#period-input").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/dashboard\\?subject=QE1&period=2024-04-01"));
        Assert.EndsWith("April 2024 to March 2025 – CareHub", await page.TitleAsync());

        await page.GotoAsync(hub.BaseUrl + next);
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "dashboard-QE1.png");
        File.Delete(file);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file });
        var png = await File.ReadAllBytesAsync(file);
        Assert.True(png.Length > 10_000, $"screenshot of {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal((Width, Height), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, "dashboard-QE1-full.png"), FullPage = true });

        // Printed, the form goes and the figures stay.
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Microsoft.Playwright.Media.Print });
        Assert.False(await page.Locator("form.choose").IsVisibleAsync());
        Assert.True(await page.Locator("td[data-kpi='dental-check'][data-stratum='all'][data-field='percent']:not([data-month])").IsVisibleAsync());
    }

    [Fact]
    public async Task without_a_token_chromium_gets_the_sign_in_page_and_its_link_signs_in()
    {
        var hub = fixture.Hub;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        var response = await page.GotoAsync($"{hub.BaseUrl}/dashboard?subject={KpiHub.La}&period={Period}");
        Assert.Equal(401, response!.Status);
        Assert.Contains("Sign in", await page.TitleAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Lancashire County Council (888)" }).ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex($"/dashboard\\?subject={KpiHub.La}&period="));
        Assert.Contains("Lancashire County Council (888)", await page.TitleAsync());
        Assert.Equal(5, await page.Locator("section.kpi").CountAsync());
    }
}
