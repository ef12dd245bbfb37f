using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Hub.Api.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SealedYear : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "SealedYear",
                table: "patient_facts",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SealedYear",
                table: "patient_facts");
        }
    }
}
