import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { StaticIpRulesController } from './static-ip-rules.controller';
import { StaticIpRulesRepository } from './static-ip-rules.repository';
import { StaticIpRulesService } from './static-ip-rules.service';

/** The static IP rules API (§16); the engine in @app/access applies them as grant holders. */
@Module({})
export class StaticIpRulesModule {
  static forRoot(options: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return {
      module: StaticIpRulesModule,
      imports: options.imports ?? [],
      controllers: [StaticIpRulesController],
      providers: [StaticIpRulesRepository, StaticIpRulesService],
    };
  }
}
