using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Hub.Api.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CompositeIndexKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // "No system" becomes empty before System joins the key (a key column cannot be null).
            migrationBuilder.Sql("UPDATE search_tokens SET \"System\" = '' WHERE \"System\" IS NULL;");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens");

            migrationBuilder.DropIndex(
                name: "IX_search_tokens_Type_Id",
                table: "search_tokens");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings");

            migrationBuilder.DropIndex(
                name: "IX_search_strings_Type_Id",
                table: "search_strings");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_references",
                table: "search_references");

            migrationBuilder.DropIndex(
                name: "IX_search_references_Type_Id",
                table: "search_references");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates");

            migrationBuilder.DropIndex(
                name: "IX_search_dates_Type_Id",
                table: "search_dates");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_tokens");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_strings");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_references");

            migrationBuilder.DropColumn(
                name: "Key",
                table: "search_dates");

            migrationBuilder.AlterColumn<string>(
                name: "System",
                table: "search_tokens",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_tokens",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_strings",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_references",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_dates",
                type: "TEXT",
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldNullable: true);

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens",
                columns: new[] { "Type", "Id", "Param", "Code", "System" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings",
                columns: new[] { "Type", "Id", "Param", "Value" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_references",
                table: "search_references",
                columns: new[] { "Type", "Id", "Param", "TargetType", "TargetId" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates",
                columns: new[] { "Type", "Id", "Param", "Start", "End" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_references",
                table: "search_references");

            migrationBuilder.DropPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates");

            migrationBuilder.AlterColumn<string>(
                name: "System",
                table: "search_tokens",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_tokens",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_tokens",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Sqlite:Autoincrement", true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_strings",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_strings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Sqlite:Autoincrement", true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_references",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_references",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Sqlite:Autoincrement", true);

            migrationBuilder.AlterColumn<string>(
                name: "Id",
                table: "search_dates",
                type: "TEXT",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT");

            migrationBuilder.AddColumn<long>(
                name: "Key",
                table: "search_dates",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L)
                .Annotation("Sqlite:Autoincrement", true);

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_tokens",
                table: "search_tokens",
                column: "Key");

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_strings",
                table: "search_strings",
                column: "Key");

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_references",
                table: "search_references",
                column: "Key");

            migrationBuilder.AddPrimaryKey(
                name: "PK_search_dates",
                table: "search_dates",
                column: "Key");

            migrationBuilder.CreateIndex(
                name: "IX_search_tokens_Type_Id",
                table: "search_tokens",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_strings_Type_Id",
                table: "search_strings",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_references_Type_Id",
                table: "search_references",
                columns: new[] { "Type", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_search_dates_Type_Id",
                table: "search_dates",
                columns: new[] { "Type", "Id" });
        }
    }
}
