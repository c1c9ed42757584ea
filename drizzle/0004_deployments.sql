CREATE TABLE "deployments" (
	"environment_id" uuid NOT NULL,
	"deploy_generation" bigint NOT NULL,
	"state" text NOT NULL,
	"holder" text NOT NULL,
	"epoch" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ready_at" timestamp with time zone,
	"promoted_at" timestamp with time zone,
	"fenced_at" timestamp with time zone,
	CONSTRAINT "deployments_environment_id_deploy_generation_pk" PRIMARY KEY("environment_id","deploy_generation"),
	CONSTRAINT "deployments_state_check" CHECK (state in ('initializing', 'catching_up', 'ready_to_promote', 'promoting', 'is_leader', 'fenced'))
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "environment" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_environment_idx" ON "events" USING btree ("tenant","environment","created_at");