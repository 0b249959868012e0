using Portal.Inference.Templates;

namespace Portal.Inference.Tests.Templates;

public sealed class TabularExplainerTests
{
    private static Dictionary<string, string> Applicant(string checking) => new()
    {
        ["duration_months"] = "24", ["credit_amount"] = "2300", ["installment_rate_pct"] = "3", ["residence_years"] = "3", ["age"] = "35",
        ["existing_credits"] = "1", ["people_liable"] = "1", ["telephone"] = "none", ["foreign_worker"] = "yes", ["checking_account"] = checking,
        ["credit_history"] = "paidduly", ["purpose"] = "radio_television", ["savings"] = "lt_100", ["employment_years"] = "1_to_4",
        ["personal_status"] = "male_single", ["other_debtors"] = "none", ["property"] = "carother", ["other_installment_plans"] = "none",
        ["housing"] = "own", ["job"] = "skilledemployee",
    };

    [Fact]
    public void An_overdrawn_checking_account_pushes_credit_risk_up_and_no_account_at_all_does_not()
    {
        using var catalog = Packs.Catalog();
        var pack = catalog.Find("finance-credit-risk")!;
        var model = catalog.Model(pack.Id)!;
        Assert.Equal("none", pack.Manifest.Inputs.Single(i => i.Name == "checking_account").Baseline);

        var overdrawn = TabularExplainer.Explain(model, Packs.Batch(pack.Manifest, [Applicant("lt_0")]), 0);
        var effect = overdrawn.Single(c => c.Feature == "checking_account");
        Assert.True(effect.Effect > 0.05, $"lt_0 should raise P(bad), got {effect.Effect}");
        Assert.Equal(("lt_0", "none"), (effect.Value, effect.Baseline));

        var atBaseline = TabularExplainer.Explain(model, Packs.Batch(pack.Manifest, [Applicant("none")]), 0);
        Assert.Equal(0, atBaseline.Single(c => c.Feature == "checking_account").Effect, 9);
    }

    [Fact]
    public void Explaining_many_rows_at_once_equals_explaining_each_alone()
    {
        using var catalog = Packs.Catalog();
        var pack = catalog.Find("finance-credit-risk")!;
        var model = catalog.Model(pack.Id)!;
        var (_, rows) = Packs.ReadCsv(pack.SamplePath);
        var batch = Packs.Batch(pack.Manifest, rows);

        var all = TabularExplainer.ExplainAll(model, batch);
        Assert.Equal(batch.Count, all.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(TabularExplainer.Explain(model, Packs.Batch(pack.Manifest, [rows[i]]), 0), all[i]);
        }
    }

    [Fact]
    public void A_low_second_period_grade_pushes_failure_risk_up_and_is_the_largest_effect()
    {
        using var catalog = Packs.Catalog();
        var pack = catalog.Find("education-student-performance")!;
        var (_, rows) = Packs.ReadCsv(pack.SamplePath);
        var student = new Dictionary<string, string>(rows[0]) { ["G1"] = "6", ["G2"] = "5" };

        var contributions = TabularExplainer.Explain(catalog.Model(pack.Id)!, Packs.Batch(pack.Manifest, [student]), 0);
        Assert.Equal("G2", contributions[0].Feature);
        Assert.True(contributions[0].Effect > 0.2, $"G2 = 5 should raise P(fail) strongly, got {contributions[0].Effect}");
        Assert.Equal(pack.Manifest.Inputs.Count, contributions.Count);
        Assert.Equal(contributions.OrderByDescending(c => Math.Abs(c.Effect)).Select(c => c.Feature), contributions.Select(c => c.Feature));
    }
}
