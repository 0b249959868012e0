using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class QuotaHierarchyAndTemplateAccess : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AllowedTemplates",
                table: "Tenants",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DisabledTemplates",
                table: "Tenants",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<long>(
                name: "PerMinuteLimit",
                table: "QuotaPlanLimits",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "QuotaLimits",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Scope = table.Column<int>(type: "INTEGER", nullable: false),
                    SubjectId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Metric = table.Column<int>(type: "INTEGER", nullable: false),
                    PeriodLimit = table.Column<long>(type: "INTEGER", nullable: true),
                    DailyLimit = table.Column<long>(type: "INTEGER", nullable: true),
                    PerMinuteLimit = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaLimits", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_QuotaLimits_TenantId_Scope_SubjectId_Metric",
                table: "QuotaLimits",
                columns: new[] { "TenantId", "Scope", "SubjectId", "Metric" },
                unique: true);

            // Members' limits move into the one limits table (scope 1 = user), then the old table goes.
            migrationBuilder.Sql(
                "INSERT INTO QuotaLimits (Id, TenantId, Scope, SubjectId, Metric, PeriodLimit, DailyLimit, PerMinuteLimit) " +
                "SELECT Id, TenantId, 1, UserId, Metric, PeriodLimit, DailyLimit, NULL FROM UserQuotaLimits;");
            migrationBuilder.DropTable(
                name: "UserQuotaLimits");

            // The seeded plans gain their per-minute request rates (per user and per key).
            migrationBuilder.Sql(
                "UPDATE QuotaPlanLimits SET PerMinuteLimit = 60 WHERE Metric = 0 AND QuotaPlanId IN (SELECT Id FROM QuotaPlans WHERE Name = 'Free');");
            migrationBuilder.Sql(
                "UPDATE QuotaPlanLimits SET PerMinuteLimit = 3000 WHERE Metric = 0 AND QuotaPlanId IN (SELECT Id FROM QuotaPlans WHERE Name = 'Standard');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "QuotaLimits");

            migrationBuilder.DropColumn(
                name: "AllowedTemplates",
                table: "Tenants");

            migrationBuilder.DropColumn(
                name: "DisabledTemplates",
                table: "Tenants");

            migrationBuilder.DropColumn(
                name: "PerMinuteLimit",
                table: "QuotaPlanLimits");

            migrationBuilder.CreateTable(
                name: "UserQuotaLimits",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    DailyLimit = table.Column<long>(type: "INTEGER", nullable: true),
                    Metric = table.Column<int>(type: "INTEGER", nullable: false),
                    PeriodLimit = table.Column<long>(type: "INTEGER", nullable: true),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserQuotaLimits", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_UserQuotaLimits_TenantId",
                table: "UserQuotaLimits",
                column: "TenantId");

            migrationBuilder.CreateIndex(
                name: "IX_UserQuotaLimits_UserId_Metric",
                table: "UserQuotaLimits",
                columns: new[] { "UserId", "Metric" },
                unique: true);
        }
    }
}
